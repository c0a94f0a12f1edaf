/**
 * Header sanity: the fields RFC 5322 §3.6 requires and the forms it gives them, and two tricks
 * of the From field:
 *
 * - a display name that shows an address other than the real one
 *   (`"service@bank.example" <x@elsewhere.example>`): readers see the name, not the address;
 * - a Reply-To that sends answers to another domain. Mailing lists do that honestly (they name
 *   themselves in List-Id, RFC 2919), so a message with List-Id is left alone.
 */
import { parseRfc5322Date } from "../../store/mime/date.ts";
import { addressDomain } from "../message/parse.ts";
import { baseDomain } from "../message/urls.ts";
import type { Analyzer } from "./context.ts";

/** How far ahead of our clock a Date may be before it is suspicious. */
const FUTURE_SLACK_MS = 24 * 3600 * 1000;
/** RFC 5322 §3.6.4 msg-id: "<" id-left "@" id-right ">", without white space inside. */
const MESSAGE_ID = /^<[^<>@\s]+@[^<>@\s]+>$/;
const ADDRESS_IN_TEXT = /[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/i;

export const headersAnalyzer: Analyzer = {
  name: "headers",
  run(ctx) {
    const { message } = ctx;
    const date = message.header("date");
    if (date === undefined) ctx.add("MISSING_DATE");
    else {
      const parsed = parseRfc5322Date(date);
      if (parsed === null || !validZone(date)) ctx.add("INVALID_DATE", date.slice(0, 60));
      else if (parsed.time > ctx.deps.now().getTime() + FUTURE_SLACK_MS)
        ctx.add("DATE_IN_FUTURE", date.slice(0, 60));
    }

    const messageId = message.header("message-id");
    if (messageId === undefined) ctx.add("MISSING_MESSAGE_ID");
    else if (!MESSAGE_ID.test(messageId.trim()))
      ctx.add("INVALID_MESSAGE_ID", messageId.slice(0, 60));

    const from = message.addresses("from").filter((a) => a.host !== null);
    if (message.header("from") === undefined) ctx.add("MISSING_FROM");
    const author = from[0];
    if (author?.name) {
      const shown = ADDRESS_IN_TEXT.exec(author.name)?.[0]?.toLowerCase();
      const real = `${author.mailbox ?? ""}@${author.host ?? ""}`.toLowerCase();
      if (shown !== undefined && shown !== real)
        ctx.add("FROM_NAME_HAS_ADDRESS", `${shown} <${real}>`);
    }

    const replyTo = message.addresses("reply-to").find((a) => a.host !== null);
    const fromDomain = addressDomain(author);
    const replyDomain = addressDomain(replyTo);
    if (
      fromDomain !== undefined &&
      replyDomain !== undefined &&
      baseDomain(fromDomain) !== baseDomain(replyDomain) &&
      message.header("list-id") === undefined
    ) {
      ctx.add("REPLY_TO_MISMATCH", `${fromDomain} -> ${replyDomain}`);
    }
  },
};

/**
 * The zone of an RFC 5322 date: "+hhmm"/"-hhmm" (§3.3) or an obsolete name (§4.3). A zone with
 * the sign missing ("0530") or out of range is how broken bulk mailers write it.
 */
function validZone(date: string): boolean {
  const zone = /\d{1,2}:\d{2}(?::\d{2})?\s+(\S+)/.exec(date.replace(/\([^)]*\)/g, " "))?.[1];
  if (zone === undefined) return false;
  if (/^[+-]\d{4}$/.test(zone)) return Number(zone.slice(1, 3)) <= 14 && Number(zone.slice(3)) < 60;
  return /^(UT|GMT|Z|[ECMP][SD]T|[A-IK-Z])$/i.test(zone);
}
