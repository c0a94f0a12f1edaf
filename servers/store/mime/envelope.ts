/**
 * The IMAP ENVELOPE (RFC 9051 §7.5.2, RFC 3501 §7.4.2) computed once at append time. Strings are
 * the header values unfolded but not decoded (clients decode RFC 2047 words themselves); raw
 * 8-bit values are read as UTF-8 (RFC 6532) so the serializer can send them as it must.
 */
import { parseAddressList, type Address } from "./address.ts";
import { binaryToText, headerValue, type HeaderField } from "./header.ts";

export type { Address } from "./address.ts";

export interface Envelope {
  readonly date: string | null;
  readonly subject: string | null;
  readonly from: readonly Address[] | null;
  /** Defaults to From when absent or empty (RFC 9051 §7.5.2). */
  readonly sender: readonly Address[] | null;
  /** Defaults to From when absent or empty (RFC 9051 §7.5.2). */
  readonly replyTo: readonly Address[] | null;
  readonly to: readonly Address[] | null;
  readonly cc: readonly Address[] | null;
  readonly bcc: readonly Address[] | null;
  readonly inReplyTo: string | null;
  readonly messageId: string | null;
}

function text(fields: readonly HeaderField[], name: string): string | null {
  const value = headerValue(fields, name);
  return value === null ? null : binaryToText(value);
}

export function buildEnvelope(fields: readonly HeaderField[]): Envelope {
  const from = parseAddressList(headerValue(fields, "From"));
  return {
    date: text(fields, "Date"),
    subject: text(fields, "Subject"),
    from,
    sender: parseAddressList(headerValue(fields, "Sender")) ?? from,
    replyTo: parseAddressList(headerValue(fields, "Reply-To")) ?? from,
    to: parseAddressList(headerValue(fields, "To")),
    cc: parseAddressList(headerValue(fields, "Cc")),
    bcc: parseAddressList(headerValue(fields, "Bcc")),
    inReplyTo: text(fields, "In-Reply-To"),
    messageId: text(fields, "Message-ID"),
  };
}
