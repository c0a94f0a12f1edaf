/**
 * The MDA's replies, one table: reply code, RFC 3463 enhanced status code (advertised with
 * ENHANCEDSTATUSCODES, RFC 2034), text. RFC 2033 §4.2: after DATA, one of these per recipient.
 */
export interface Reply {
  readonly code: number;
  readonly enhanced: string;
  readonly text: string;
}

export const REPLIES = {
  // Delivery outcomes, per recipient.
  /** RCPT for an address nobody here receives (X.1.1: bad destination mailbox). */
  unknownUser: { code: 550, enhanced: "5.1.1", text: "No such user here" },
  /** RCPT for a domain that is not ours: an LMTP server only delivers locally. */
  notLocal: { code: 550, enhanced: "5.1.1", text: "Not a local domain" },
  /** The directory could not be asked; the client retries. */
  directoryDown: { code: 451, enhanced: "4.3.0", text: "Directory unavailable, try again later" },
  /** X.2.2: mailbox full. Permanent by default so the sender learns of it. */
  overQuota: { code: 552, enhanced: "5.2.2", text: "Mailbox full" },
  overQuotaTemporary: { code: 452, enhanced: "4.2.2", text: "Mailbox full, try again later" },
  /** X.3.0: our storage failed; nothing was stored, the client retries. */
  storageFailure: {
    code: 451,
    enhanced: "4.3.0",
    text: "Local error in processing, try again later",
  },
  /** X.3.4: over maxMessageBytes (MAIL's SIZE parameter, or the message itself). */
  tooBig: { code: 552, enhanced: "5.3.4", text: "Message too big for system" },
  /** RCPT past MAX_RECIPIENTS (RFC 5321 §4.5.3.1.10: 452, and the client sends the rest later). */
  tooManyRecipients: { code: 452, enhanced: "4.5.3", text: "Too many recipients" },

  // The session.
  /** MAIL before STARTTLS on a connection from beyond loopback. */
  tlsRequired: { code: 530, enhanced: "5.7.0", text: "Must issue a STARTTLS command first" },
  tlsReady: { code: 220, enhanced: "2.0.0", text: "Ready to start TLS" },
  tlsUnavailable: { code: 502, enhanced: "5.5.1", text: "STARTTLS not available" },
  ok: { code: 250, enhanced: "2.0.0", text: "OK" },
  senderOk: { code: 250, enhanced: "2.1.0", text: "Sender OK" },
  recipientOk: { code: 250, enhanced: "2.1.5", text: "Recipient OK" },
  reset: { code: 250, enhanced: "2.0.0", text: "Flushed" },
  startData: { code: 354, enhanced: "", text: "Start mail input; end with <CRLF>.<CRLF>" },
  /** VRFY is not offered (RFC 5321 §3.5.3: 252 means "try the message anyway"). */
  cannotVerify: { code: 252, enhanced: "2.5.2", text: "Cannot VRFY user, but will accept" },
  help: { code: 214, enhanced: "2.0.0", text: "See RFC 2033" },

  // Client mistakes (logged quietly).
  /** RFC 2033 §4.1: LMTP has no HELO or EHLO. */
  useLhlo: { code: 500, enhanced: "5.5.1", text: "This is LMTP: use LHLO" },
  unrecognized: { code: 500, enhanced: "5.5.2", text: "Command unrecognized" },
  lineTooLong: { code: 500, enhanced: "5.5.2", text: "Line too long" },
  badSyntax: { code: 501, enhanced: "5.5.4", text: "Syntax error in parameters" },
  badAddress: { code: 501, enhanced: "5.1.3", text: "Bad address syntax" },
  badSequence: { code: 503, enhanced: "5.5.1", text: "Bad sequence of commands" },
  lhloFirst: { code: 503, enhanced: "5.5.1", text: "Send LHLO first" },
  nestedMail: { code: 503, enhanced: "5.5.1", text: "Sender already given" },
  mailFirst: { code: 503, enhanced: "5.5.1", text: "Send MAIL first" },
  /** RFC 2033 §4.2: DATA without a successful RCPT must fail with 503. */
  noRecipients: { code: 503, enhanced: "5.5.1", text: "No valid recipients" },
  unknownParameter: { code: 555, enhanced: "5.5.4", text: "Parameter not recognized" },
} as const satisfies Record<string, Reply>;

/** Closing replies: these carry the host name and end the session. */
export const CLOSING = {
  bye: { code: 221, enhanced: "2.0.0", text: "Bye" },
  /** A browser tricked into talking to a mail port (cross-protocol attack). */
  http: { code: 421, enhanced: "4.7.0", text: "HTTP requests not allowed" },
  tooManyErrors: { code: 421, enhanced: "4.7.0", text: "Too many errors, closing" },
  timeout: { code: 421, enhanced: "4.4.2", text: "Timeout, closing" },
  shuttingDown: { code: 421, enhanced: "4.3.2", text: "Service shutting down" },
} as const satisfies Record<string, Reply>;

/** One reply line (or lines: a multi-line reply repeats the codes, RFC 5321 §4.2.1). */
export function formatReply(reply: Reply, lines: readonly string[] = [reply.text]): string {
  const code = String(reply.code);
  const prefix = reply.enhanced === "" ? "" : `${reply.enhanced} `;
  return lines
    .map((line, i) => `${code}${i === lines.length - 1 ? " " : "-"}${prefix}${line}\r\n`)
    .join("");
}
