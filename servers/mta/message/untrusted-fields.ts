/**
 * Fields only our own servers may write, removed from every message that arrives: anything that
 * claims to be our verdict came from outside.
 *
 * - `X-Mailstack-Spam*`: the spam verdict the MDA trusts (servers/mda/trace-headers.ts) and its
 *   companions; we add the real one after the check.
 * - `Authentication-Results` naming our host as authserv-id: RFC 8601 §5 asks a border MTA to
 *   delete such forgeries before its own results are added.
 */
import { joinMessage, splitMessage, fieldValue } from "./headers.ts";

export const VERDICT_FIELD = "X-Mailstack-Spam";

export function stripUntrustedFields(
  raw: Buffer,
  hostname: string,
): { readonly raw: Buffer; readonly removed: number } {
  const { fields, rest } = splitMessage(raw);
  const host = hostname.toLowerCase();
  const kept = fields.filter((field) => {
    if (field.name.startsWith(VERDICT_FIELD.toLowerCase())) return false;
    if (field.name === "authentication-results") {
      const authservId = /^\s*([^\s;]+)/.exec(fieldValue(field))?.[1]?.toLowerCase();
      return authservId !== host;
    }
    return true;
  });
  if (kept.length === fields.length) return { raw, removed: 0 };
  return { raw: joinMessage(kept, rest), removed: fields.length - kept.length };
}
