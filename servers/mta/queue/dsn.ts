/**
 * Delivery status notifications (RFC 3464) as pure functions: a multipart/report
 * (RFC 6522) with a human-readable part, a message/delivery-status part, and the returned
 * message (message/rfc822) or only its header (text/rfc822-headers).
 *
 * Who gets one and when is decided elsewhere (recipient-state.ts, notices.ts); nothing here is
 * ever addressed to the null sender, and the DSN itself travels with the null sender
 * (RFC 5321 §4.5.5, RFC 3461 §6.1), so it can never cause another one.
 */
import { randomBytes } from "node:crypto";

export type DsnAction = "failed" | "delayed" | "delivered" | "relayed";

export interface DsnRecipient {
  /** Final-Recipient: the address we tried. */
  readonly address: string;
  /** ORCPT as given, "rfc822;addr" (Original-Recipient). */
  readonly orcpt?: string;
  readonly action: DsnAction;
  /** RFC 3463 enhanced status code. */
  readonly status: string;
  /** The remote host's name (Remote-MTA), absent for local (LMTP) delivery. */
  readonly remoteMta?: string;
  /** The server's reply (Diagnostic-Code: smtp), or our own reason (X-mailstack). */
  readonly reply?: string;
  readonly text?: string;
  readonly lastAttemptAt?: number;
  /** For delayed: when we give up (Will-Retry-Until). */
  readonly willRetryUntil?: number;
}

export interface DsnInput {
  /** Our host name: Reporting-MTA and the MAILER-DAEMON address. */
  readonly reportingMta: string;
  readonly queueId: string;
  /** Where the DSN goes: the original envelope sender (never ""). */
  readonly to: string;
  readonly envid?: string;
  readonly arrivedAt: number;
  readonly recipients: readonly DsnRecipient[];
  /** The original message, returned in full or as its header. */
  readonly original: Uint8Array;
  readonly returnContent: "full" | "headers";
  readonly now: number;
}

const CRLF = "\r\n";

/** RFC 5322 §3.3 date-time, in UTC. */
export function rfc5322Date(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, "+0000");
}

export function dsnSubject(recipients: readonly DsnRecipient[]): string {
  if (recipients.some((r) => r.action === "failed")) return "Undelivered Mail Returned to Sender";
  if (recipients.some((r) => r.action === "delayed")) return "Delayed Mail (still being retried)";
  return "Successful Mail Delivery Report";
}

/** The DSN message, CRLF line endings throughout. */
export function buildDsn(input: DsnInput): Buffer {
  const boundary = `${input.queueId}/${randomBytes(9).toString("base64url")}`;
  const human = humanPart(input);
  const eightBit = /[^\x00-\x7f]/.test(human);
  const header = [
    `From: "Mail Delivery System" <MAILER-DAEMON@${input.reportingMta}>`,
    `To: <${input.to}>`,
    `Subject: ${dsnSubject(input.recipients)}`,
    `Date: ${rfc5322Date(input.now)}`,
    `Message-ID: <${input.queueId}.${input.now}@${input.reportingMta}>`,
    // RFC 3834 §5: automatic responses must be marked so that responders do not answer them.
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status;${CRLF}\tboundary="${boundary}"`,
  ];
  const textParts = [
    [
      "Content-Description: Notification",
      `Content-Type: text/plain; charset=${eightBit ? "utf-8" : "us-ascii"}`,
      ...(eightBit ? ["Content-Transfer-Encoding: 8bit"] : []),
      "",
      human,
    ].join(CRLF),
    [
      "Content-Description: Delivery report",
      "Content-Type: message/delivery-status",
      "",
      deliveryStatus(input),
    ].join(CRLF),
  ];
  const head = [
    header.join(CRLF),
    "",
    "This is a MIME-encapsulated message.",
    "",
    ...textParts.map((p) => `--${boundary}${CRLF}${p}`),
    `--${boundary}${CRLF}`,
  ].join(CRLF);
  // The returned message stays bytes: an 8-bit original in another charset is not re-encoded.
  return Buffer.concat([
    Buffer.from(head, "utf8"),
    returnedPart(input),
    Buffer.from(`${CRLF}--${boundary}--${CRLF}`, "ascii"),
  ]);
}

function humanPart(input: DsnInput): string {
  const lines = [`This is the mail system at host ${input.reportingMta}.`, ""];
  const failed = input.recipients.filter((r) => r.action === "failed");
  const delayed = input.recipients.filter((r) => r.action === "delayed");
  const done = input.recipients.filter((r) => r.action === "delivered" || r.action === "relayed");
  if (failed.length > 0) {
    lines.push(
      "I'm sorry to have to inform you that your message could not",
      "be delivered to one or more recipients. It's attached below.",
      "",
    );
    for (const r of failed) lines.push(`<${r.address}>: ${reason(r)}`, "");
  }
  if (delayed.length > 0) {
    lines.push(
      "Your message could not be delivered yet to the recipients below.",
      "It will be retried until it is too old; you need not send it again.",
      "",
    );
    for (const r of delayed) {
      const until =
        r.willRetryUntil === undefined ? "" : ` (retrying until ${rfc5322Date(r.willRetryUntil)})`;
      lines.push(`<${r.address}>: ${reason(r)}${until}`, "");
    }
  }
  if (done.length > 0) {
    lines.push("Your message was delivered to the recipients below, as you asked to be told.", "");
    for (const r of done) {
      const how =
        r.action === "relayed" ? "relayed to a system that sends no further notices" : "delivered";
      lines.push(`<${r.address}>: ${how}${r.remoteMta ? ` (${r.remoteMta})` : ""}`, "");
    }
  }
  lines.push(`Queue id: ${input.queueId}`);
  return lines.join(CRLF);
}

function reason(r: DsnRecipient): string {
  const where = r.remoteMta ? `host ${r.remoteMta} said: ` : "";
  return r.reply ? `${where}${r.reply}` : (r.text ?? r.status);
}

/** RFC 3464 §2.2 per-message fields, then §2.3 per-recipient fields, blank line between. */
function deliveryStatus(input: DsnInput): string {
  const message = [
    ...(input.envid ? [`Original-Envelope-Id: ${field(input.envid)}`] : []),
    `Reporting-MTA: dns; ${input.reportingMta}`,
    `X-Mailstack-Queue-ID: ${input.queueId}`,
    `Arrival-Date: ${rfc5322Date(input.arrivedAt)}`,
  ];
  const recipients = input.recipients.map((r) =>
    [
      ...(r.orcpt ? [`Original-Recipient: ${originalRecipient(r.orcpt)}`] : []),
      `Final-Recipient: rfc822; ${field(r.address)}`,
      `Action: ${r.action}`,
      `Status: ${r.status}`,
      ...(r.remoteMta && !r.remoteMta.startsWith("[") && r.remoteMta !== "lmtp"
        ? [`Remote-MTA: dns; ${field(r.remoteMta)}`]
        : []),
      ...(r.reply
        ? [`Diagnostic-Code: smtp; ${field(r.reply)}`]
        : r.text
          ? [`Diagnostic-Code: X-mailstack; ${field(r.text)}`]
          : []),
      ...(r.lastAttemptAt === undefined
        ? []
        : [`Last-Attempt-Date: ${rfc5322Date(r.lastAttemptAt)}`]),
      ...(r.willRetryUntil === undefined
        ? []
        : [`Will-Retry-Until: ${rfc5322Date(r.willRetryUntil)}`]),
    ].join(CRLF),
  );
  return [message.join(CRLF), ...recipients].join(CRLF + CRLF) + CRLF;
}

function returnedPart(input: DsnInput): Buffer {
  const original = Buffer.from(
    input.original.buffer,
    input.original.byteOffset,
    input.original.byteLength,
  );
  if (input.returnContent === "full") {
    const eightBit = original.some((byte) => byte > 0x7f);
    const head = [
      "Content-Description: Undelivered Message",
      "Content-Type: message/rfc822",
      ...(eightBit ? ["Content-Transfer-Encoding: 8bit"] : []),
      "",
      "",
    ].join(CRLF);
    const end = original.subarray(-2).toString("latin1");
    const body =
      end === CRLF
        ? original.subarray(0, -2)
        : end.endsWith("\n")
          ? original.subarray(0, -1)
          : original;
    return Buffer.concat([Buffer.from(head, "ascii"), body]);
  }
  const head = [
    "Content-Description: Undelivered Message Headers",
    "Content-Type: text/rfc822-headers",
    "",
    "",
  ].join(CRLF);
  return Buffer.concat([Buffer.from(head, "ascii"), headerBlock(original)]);
}

/** The header section of a message, up to (not including) the empty line that ends it. */
export function headerBlock(message: Buffer): Buffer {
  const crlf = message.indexOf("\r\n\r\n");
  const lf = message.indexOf("\n\n");
  const ends = [crlf, lf].filter((i) => i !== -1);
  return ends.length === 0 ? message : message.subarray(0, Math.min(...ends));
}

/** "rfc822;bob@example.com" -> "rfc822; bob@example.com" (RFC 3464 §2.3.1). */
function originalRecipient(orcpt: string): string {
  const semi = orcpt.indexOf(";");
  if (semi === -1) return `rfc822; ${field(orcpt)}`;
  return `${orcpt.slice(0, semi).trim()}; ${field(orcpt.slice(semi + 1).trim())}`;
}

/** A value on one line: no CR/LF can split a DSN field (or inject another). */
function field(value: string): string {
  return value.replace(/[\r\n]+/g, " ");
}
