/**
 * The header lines the MDA adds on top of each delivered message (RFC 5321 §4.4 Received and
 * Return-Path, RFC 9228 Delivered-To), and the spam verdict our MTA adds, which is trusted only
 * when it sits above every Received line: anything below was there before our MTA saw the
 * message, so it came from outside (and the MTA strips such headers anyway).
 */
export const VERDICT_HEADER = "X-Mailstack-Spam";

export interface TraceFacts {
  readonly sender: string;
  readonly recipient: string;
  readonly clientName: string;
  readonly clientAddress: string | undefined;
  readonly hostname: string;
  readonly id: string;
  readonly date: Date;
}

export function traceHeaders(facts: TraceFacts): string {
  const from = `${facts.clientName} (${facts.clientAddress ? `[${facts.clientAddress}]` : "local socket"})`;
  return (
    `Return-Path: <${facts.sender}>\r\n` +
    `Delivered-To: ${facts.recipient}\r\n` +
    `Received: from ${from}\r\n\tby ${facts.hostname} (mailstack mda) with LMTP id ${facts.id}\r\n` +
    `\tfor <${facts.recipient}>; ${rfc5322Date(facts.date)}\r\n`
  );
}

/** RFC 5322 §3.3 date-time in UTC. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, "+0000");
}

/**
 * The header block of a raw message: lines up to the first empty line, unfolded, as
 * [name, value] pairs in order. Only the first 64 KiB are looked at.
 */
export function headerFields(raw: Uint8Array): [string, string][] {
  const text = Buffer.from(raw.subarray(0, 65_536)).toString("latin1");
  const end = text.search(/\r?\n\r?\n/);
  const block = end === -1 ? text : text.slice(0, end);
  const fields: [string, string][] = [];
  for (const line of block.split(/\r?\n/)) {
    const last = fields.at(-1);
    if (/^[ \t]/.test(line) && last) last[1] += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(":");
      if (colon > 0)
        fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
    }
  }
  return fields;
}

/** True when our MTA's verdict above every Received line says the message is junk. */
export function trustedJunkVerdict(fields: readonly [string, string][]): boolean {
  for (const [name, value] of fields) {
    if (name === "received") return false;
    if (name === VERDICT_HEADER.toLowerCase()) return /^\s*junk\b/i.test(value);
  }
  return false;
}

export function messageId(fields: readonly [string, string][]): string | undefined {
  return fields.find(([name]) => name === "message-id")?.[1];
}
