/**
 * The trace and identity fields the MTA adds: Received (RFC 5321 §4.4) with the protocol names of
 * RFC 3848 and RFC 6531 §3.7.3, and on submission the Message-ID and Date a client left out
 * (RFC 6409 §8.3, §8.4).
 */
import { randomBytes } from "node:crypto";

export interface ReceivedFacts {
  /** What the client said in EHLO/HELO. */
  readonly helo: string;
  readonly remoteAddress: string;
  readonly hostname: string;
  readonly id: string;
  readonly date: Date;
  readonly ehlo: boolean;
  /** The TLS protocol and cipher, when the session is under TLS. */
  readonly tls: { readonly version: string; readonly cipher: string } | undefined;
  /** The authenticated user (submission). */
  readonly user: string | undefined;
  /** The client asked for SMTPUTF8 (RFC 6531). */
  readonly utf8: boolean;
  /** Named only when there is one recipient: listing more would disclose Bcc recipients. */
  readonly recipients: readonly string[];
}

/**
 * The `with` protocol: ESMTP, plus S under TLS and A when authenticated (RFC 3848), or the
 * UTF8SMTP family when the client used SMTPUTF8 (RFC 6531 §3.7.3).
 */
export function withProtocol(facts: Pick<ReceivedFacts, "ehlo" | "tls" | "user" | "utf8">): string {
  const suffix = `${facts.tls ? "S" : ""}${facts.user !== undefined ? "A" : ""}`;
  if (facts.utf8) return `UTF8SMTP${suffix}`;
  return `${facts.ehlo ? "ESMTP" : "SMTP"}${suffix}`;
}

export function receivedValue(facts: ReceivedFacts): string {
  const helo = sanitize(facts.helo || "unknown");
  const address = facts.remoteAddress.includes(":")
    ? `IPv6:${facts.remoteAddress}`
    : facts.remoteAddress;
  let value = `from ${helo} ([${address}])\r\n\tby ${facts.hostname} (mailstack mta)`;
  if (facts.tls) {
    value += `\r\n\t(using ${sanitize(facts.tls.version)} with cipher ${sanitize(facts.tls.cipher)})`;
  }
  if (facts.user !== undefined) value += `\r\n\t(Authenticated sender: ${sanitize(facts.user)})`;
  value += `\r\n\twith ${withProtocol(facts)} id ${facts.id}`;
  const [only] = facts.recipients;
  if (facts.recipients.length === 1 && only !== undefined) value += `\r\n\tfor <${sanitize(only)}>`;
  return `${value}; ${rfc5322Date(facts.date)}`;
}

/** RFC 5322 §3.3 date-time in UTC. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, "+0000");
}

/** RFC 5322 §3.6.4 msg-id: unique left part, our host name on the right. */
export function newMessageId(hostname: string): string {
  return `<${randomBytes(12).toString("base64url")}@${hostname}>`;
}

/** A random id for one transaction: Received `id`, log lines, the 250 reply. */
export function transactionId(): string {
  return randomBytes(9).toString("base64url");
}

/** Client-supplied text inside a header: no controls, no comment delimiters to break out of. */
function sanitize(text: string): string {
  return text.replace(/[\x00-\x1f\x7f()\\]/g, "?").slice(0, 255);
}
