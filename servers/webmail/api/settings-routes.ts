/**
 * Settings (display name, signature), the user's own password change (against the directory),
 * and address suggestions for the compose fields (past correspondents, then the directory).
 */
import { z } from "zod";
import { matchesPrefix, MIN_PASSWORD_LENGTH } from "../../shared/directory/directory.ts";
import type { Directory } from "../../shared/directory/types.ts";
import { ApiError } from "../errors.ts";
import { readJson, sendJson } from "../http/respond.ts";
import type { Route, SessionContext } from "../http/route.ts";
import { MAX_JSON_BYTES } from "../limits.ts";
import { clearedSessionCookie } from "../session/cookies.ts";
import type { SessionStore } from "../session/session-store.ts";
import type { ImapAccount } from "../mail/imap-client.ts";
import {
  MAX_DISPLAY_NAME_LENGTH,
  MAX_SIGNATURE_LENGTH,
  type SettingsStore,
} from "../settings/settings-store.ts";

/** Suggestions shown at once under an address field. */
export const MAX_ADDRESS_SUGGESTIONS = 10;

const settingsSchema = z.strictObject({
  // A From name is one line of printable text (no header tricks).
  displayName: z
    .string()
    .trim()
    .max(MAX_DISPLAY_NAME_LENGTH)
    .regex(/^[^\p{Cc}]*$/u, "no control characters"),
  signature: z
    .string()
    .max(MAX_SIGNATURE_LENGTH)
    .transform((s) => s.replace(/\r\n?/g, "\n").replace(/\s+$/, "")),
});

const passwordSchema = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  newPassword: z.string().min(1).max(4096),
});

export interface SettingsRouteServices {
  readonly settings: SettingsStore;
  readonly sessions: SessionStore<ImapAccount>;
  /** Undefined when the webmail has no directory: no password change, no directory suggestions. */
  readonly directory: Directory | undefined;
}

async function body<T extends z.ZodType>(ctx: SessionContext, schema: T): Promise<z.output<T>> {
  const result = schema.safeParse(await readJson(ctx.req, MAX_JSON_BYTES));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ApiError("BAD_REQUEST", `${issue?.path.join(".") ?? ""}: ${issue?.message ?? ""}`);
  }
  return result.data;
}

export interface Suggestion {
  readonly address: string;
  readonly name: string;
  readonly source: "sent" | "directory";
}

export function settingsRoutes(services: SettingsRouteServices): Route[] {
  const { settings, sessions, directory } = services;
  return [
    {
      method: "GET",
      path: /^\/api\/settings$/,
      access: "session",
      async handle({ res, session }) {
        const s = await settings.get(session.address);
        sendJson(res, 200, {
          displayName: s.displayName,
          signature: s.signature,
          passwordChange: directory !== undefined,
          minPasswordLength: MIN_PASSWORD_LENGTH,
        });
      },
    },
    {
      method: "POST",
      path: /^\/api\/settings$/,
      access: "session",
      async handle(ctx) {
        const edit = await body(ctx, settingsSchema);
        const saved = await settings.setEditable(ctx.session.address, edit);
        sendJson(ctx.res, 200, { displayName: saved.displayName, signature: saved.signature });
      },
    },
    {
      method: "POST",
      path: /^\/api\/password$/,
      access: "session",
      async handle(ctx) {
        if (directory === undefined) {
          throw new ApiError("NOT_FOUND", "Passwords are not changed here.");
        }
        const { currentPassword, newPassword } = await body(ctx, passwordSchema);
        const { session, ip, log, res } = ctx;
        const result = await directory.changePassword(
          session.address,
          currentPassword,
          newPassword,
          { remoteAddress: ip },
        );
        if (!result.ok) {
          log.info({ address: session.address, ip, reason: result.reason }, "password not changed");
          switch (result.reason) {
            case "invalid":
              throw new ApiError("PASSWORD_WRONG");
            case "weak":
              throw new ApiError(
                "PASSWORD_WEAK",
                `The new password must have at least ${MIN_PASSWORD_LENGTH} characters.`,
              );
            case "throttled":
              throw new ApiError("LOGIN_THROTTLED", undefined, { "Retry-After": "900" });
            case "unavailable":
              throw new ApiError("DIRECTORY_UNAVAILABLE");
          }
        }
        log.info({ address: session.address, ip }, "password changed");
        // The session holds the old password (IMAP, submission): the user logs in again.
        await sessions.end(session.id);
        res.setHeader("Set-Cookie", clearedSessionCookie());
        sendJson(res, 200, { changed: true });
      },
    },
    {
      method: "GET",
      path: /^\/api\/addresses$/,
      access: "session",
      async handle({ res, session, url, log }) {
        const prefix = (url.searchParams.get("q") ?? "").trim().toLowerCase();
        if (prefix.length === 0 || prefix.length > 64) {
          sendJson(res, 200, { suggestions: [] });
          return;
        }
        const own = await settings.get(session.address);
        const suggestions = new Map<string, Suggestion>();
        for (const c of own.correspondents) {
          if (suggestions.size >= MAX_ADDRESS_SUGGESTIONS) break;
          if (matchesPrefix({ address: c.address, displayName: c.name, aliases: [] }, prefix)) {
            suggestions.set(c.address, { address: c.address, name: c.name, source: "sent" });
          }
        }
        if (directory !== undefined && suggestions.size < MAX_ADDRESS_SUGGESTIONS) {
          try {
            for (const s of await directory.searchAddresses(prefix, MAX_ADDRESS_SUGGESTIONS)) {
              if (suggestions.size >= MAX_ADDRESS_SUGGESTIONS) break;
              const known = suggestions.get(s.address);
              suggestions.set(s.address, {
                address: s.address,
                name: known?.name || s.displayName,
                source: known?.source ?? "directory",
              });
            }
          } catch (error) {
            // Suggestions are a help: without the directory, the user's own still come.
            log.warn({ err: (error as Error).message }, "directory search failed");
          }
        }
        sendJson(res, 200, { suggestions: [...suggestions.values()] });
      },
    },
  ];
}
