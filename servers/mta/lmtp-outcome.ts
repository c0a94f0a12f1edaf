/**
 * The MDA answers per recipient (RFC 2033 §4.2); an SMTP client gets one reply for the whole
 * message (RFC 5321 §4.1.1.4). How port 25 folds the first into the second:
 *
 * - every recipient delivered: 250.
 * - any recipient temporarily failed (4xx, or the MDA unreachable): 451 for the whole message.
 *   Nothing is kept here; the sender retries, and recipients that already have the message get no
 *   second copy because the MDA drops a repeated Message-ID per mailbox (servers/mda: dedupe
 *   window, 24 h by default). A retry later than that window could deliver twice: the documented
 *   exception.
 * - every recipient permanently refused (5xx, e.g. 552 5.2.2 mailbox full): that refusal; the
 *   sender bounces, we generate nothing (no backscatter).
 * - some delivered, others permanently refused, none temporary: 250, and the refused ones go to
 *   the queue, because after 250 the message is ours to deliver or bounce (RFC 5321 §6.1). The
 *   queue retries the MDA and bounces to the sender if it keeps refusing. This narrow case
 *   (a message that passed the spam check, one of its recipients over quota) is the only way
 *   inbound mail can lead to a bounce from us.
 */
import type { RecipientReply } from "./lmtp-client.ts";
import type { Reply } from "./replies.ts";
import { REPLIES } from "./replies.ts";

export type LmtpOutcome =
  | { readonly kind: "delivered" }
  | { readonly kind: "deferred"; readonly reply: Reply }
  | { readonly kind: "refused"; readonly reply: Reply }
  | { readonly kind: "partial"; readonly refused: readonly RecipientReply[] };

export function foldReplies(replies: readonly RecipientReply[]): LmtpOutcome {
  const temporary = replies.find((r) => r.code >= 400 && r.code < 500);
  if (temporary) return { kind: "deferred", reply: REPLIES.deliveryDeferred };
  const refused = replies.filter((r) => r.code >= 500);
  if (refused.length === 0) return { kind: "delivered" };
  if (refused.length === replies.length) {
    return { kind: "refused", reply: parseReply(refused[0]!.response) };
  }
  return { kind: "partial", refused };
}

/** `552 5.2.2 Mailbox full` as a Reply; a reply without an enhanced code gets X.0.0. */
export function parseReply(line: string): Reply {
  const match = /^(\d{3})[ -](?:([245]\.\d{1,3}\.\d{1,3}) )?(.*)$/s.exec(line.trim());
  if (!match) return { code: 554, enhanced: "5.0.0", text: "Delivery failed" };
  const code = Number(match[1]);
  const text = (match[3] ?? "").split(/\r?\n/)[0]?.replace(/^\d{3}[ -]/, "") || "Delivery failed";
  return { code, enhanced: match[2] ?? `${String(code)[0]}.0.0`, text };
}
