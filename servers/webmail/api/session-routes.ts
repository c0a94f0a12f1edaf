/** Login, logout and the session's facts (address and CSRF token, for a reloaded page). */
import { z } from "zod";
import { ApiError } from "../errors.ts";
import { readJson, send, sendJson } from "../http/respond.ts";
import type { Route } from "../http/route.ts";
import { MAX_JSON_BYTES } from "../limits.ts";
import { ImapAccount, type ImapConnector } from "../mail/imap-client.ts";
import { clearedSessionCookie, sessionCookie } from "../session/cookies.ts";
import type { SessionStore } from "../session/session-store.ts";
import type { LoginThrottle } from "../session/throttle.ts";

const loginSchema = z.strictObject({
  address: z
    .string()
    .trim()
    .min(3)
    .max(254)
    .regex(/^[^\s@]+@[^\s@]+$/),
  password: z.string().min(1).max(1024),
});

export interface SessionRouteServices {
  readonly sessions: SessionStore<ImapAccount>;
  readonly throttle: LoginThrottle;
  readonly connectImap: ImapConnector;
  readonly absoluteSeconds: number;
}

export function sessionRoutes(services: SessionRouteServices): Route[] {
  const { sessions, throttle, connectImap } = services;
  return [
    {
      method: "POST",
      path: /^\/api\/login$/,
      access: "public",
      sameOrigin: true,
      async handle({ req, res, ip, log }) {
        const parsed = loginSchema.safeParse(await readJson(req, MAX_JSON_BYTES));
        if (!parsed.success) throw new ApiError("BAD_REQUEST", "Give an address and a password.");
        const { address, password } = parsed.data;
        const check = throttle.check(address, ip);
        if (!check.allowed) {
          log.info({ address, ip }, "login throttled");
          throw new ApiError("LOGIN_THROTTLED", undefined, {
            "Retry-After": String(check.retryAfterSeconds),
          });
        }
        let client;
        try {
          client = await connectImap(address, password);
        } catch (error) {
          if (error instanceof ApiError && error.code === "LOGIN_FAILED") {
            throttle.recordFailure(address, ip);
            log.info({ address, ip }, "login failed");
          }
          throw error;
        }
        throttle.recordSuccess(address);
        const session = sessions.create(
          address,
          password,
          new ImapAccount(connectImap, address, password, client),
        );
        log.info({ address, ip }, "logged in");
        res.setHeader("Set-Cookie", sessionCookie(session.id, services.absoluteSeconds));
        sendJson(res, 200, { address, csrfToken: session.csrfToken });
      },
    },
    {
      method: "POST",
      path: /^\/api\/logout$/,
      access: "session",
      async handle({ res, session, log }) {
        await sessions.end(session.id);
        log.info({ address: session.address }, "logged out");
        res.setHeader("Set-Cookie", clearedSessionCookie());
        // Clear-Site-Data drops whatever the browser cached of this user's mail.
        send(res, 204, "", { "Clear-Site-Data": '"cache", "cookies", "storage"' });
      },
    },
    {
      method: "GET",
      path: /^\/api\/session$/,
      access: "session",
      async handle({ res, session }) {
        await Promise.resolve();
        sendJson(res, 200, { address: session.address, csrfToken: session.csrfToken });
      },
    },
  ];
}
