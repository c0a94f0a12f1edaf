/** What a route is: a method and a path pattern, who may call it, and its handler. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../shared/log.ts";
import type { ImapAccount } from "../mail/imap-client.ts";
import type { Session } from "../session/session-store.ts";

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** Named groups of the path pattern. */
  readonly params: Readonly<Record<string, string>>;
  /** The client's IP address. */
  readonly ip: string;
  readonly log: Logger;
}

export interface SessionContext extends RequestContext {
  readonly session: Session<ImapAccount>;
}

interface RouteBase {
  readonly method: "GET" | "POST";
  /** Matched against the whole path; named groups become params. */
  readonly path: RegExp;
}

/**
 * `public`: anyone (static files, well-known documents, login). `session`: a logged-in browser,
 * from our own origin, with the CSRF token on state-changing methods (checked once, in server.ts).
 */
export type Route =
  | (RouteBase & {
      readonly access: "public";
      /** Refuse foreign origins (login: a foreign page must not log a victim in). */
      readonly sameOrigin: boolean;
      handle(ctx: RequestContext): Promise<void>;
    })
  | (RouteBase & { readonly access: "session"; handle(ctx: SessionContext): Promise<void> });
