/**
 * The transactions of one message on one open connection, mapped to per-recipient outcomes.
 *
 * Recipients go in one transaction, except that recipients with different RFC 3461 parameters
 * (NOTIFY, ORCPT) need separate ones: nodemailer sets those per envelope, not per RCPT. They
 * share the connection, with RSET in between.
 */
import { toSevenBit } from "../message/seven-bit.ts";
import type { StoredEnvelope, StoredRecipient } from "../queue/records.ts";
import type { Outcome } from "../queue/recipient-state.ts";
import { FAILURES, localOutcome, outcomeFromReply, type Hop } from "./results.ts";
import type { Envelope, Session } from "./smtp-session.ts";

export interface IndexedRecipient {
  /** Position in the envelope (and in the state). */
  readonly index: number;
  readonly recipient: StoredRecipient;
}

export interface TransactionsResult {
  /** Outcomes of the recipients the server answered for. */
  readonly outcomes: Map<number, Outcome>;
  /**
   * Why the connection could not serve the rest, when it could not: the remaining recipients
   * should try another host.
   */
  readonly stopped?: Outcome;
}

export async function runTransactions(
  session: Session,
  message: { envelope: StoredEnvelope; raw: Uint8Array },
  recipients: readonly IndexedRecipient[],
  hop: Hop,
  protocol: "smtp" | "lmtp",
): Promise<TransactionsResult> {
  const outcomes = new Map<number, Outcome>();
  const { envelope } = message;
  const original = Buffer.from(message.raw.buffer, message.raw.byteOffset, message.raw.byteLength);
  // RFC 6152 §3: 8-bit content goes to a server without 8BITMIME only converted to 7 bit. Mail
  // we signed was converted before signing (submission/prepare.ts), so this is a no-op for it;
  // a signature someone else made over an 8-bit body does not survive, as with any converter.
  const raw = session.eightBitMime ? original : toSevenBit(original);
  // BODY=8BITMIME when the client declared it or the message has 8-bit octets.
  const eightBit = envelope.eightBitMime === true || raw.some((byte) => byte > 0x7f);
  const utf8Header = hasUtf8Header(raw);
  let first = true;
  for (const group of groupByDsn(recipients)) {
    if (!first && !(await session.reset())) {
      return { outcomes, stopped: localOutcome(FAILURES.connectionLost, "RSET failed", hop) };
    }
    first = false;
    const sample = group[0]!.recipient;
    const dsn = {
      ...(envelope.dsn?.ret ? { ret: envelope.dsn.ret === "full" ? "FULL" : "HDRS" } : {}),
      ...(envelope.dsn?.envid ? { envid: envelope.dsn.envid } : {}),
      ...(sample.notify ? { notify: notifyParam(sample.notify) } : {}),
      ...(sample.orcpt ? { orcpt: sample.orcpt } : {}),
    } as Envelope["dsn"] & object;
    const result = await session.send(
      {
        from: envelope.from,
        to: group.map((r) => r.recipient.address),
        size: raw.byteLength,
        eightBit,
        smtpUtf8: smtpUtf8Need(envelope, group, utf8Header),
        requireTls: protocol === "smtp" && envelope.requireTls === true,
        ...(Object.keys(dsn).length > 0 ? { dsn } : {}),
      },
      raw,
    );
    switch (result.kind) {
      case "replies": {
        // RFC 3461 §6.2.6.2: "relayed" when the next hop does not speak DSN; when it does, it
        // received NOTIFY/ORCPT and any later report is its own.
        const delivered = protocol === "lmtp" ? "delivered" : result.dsn ? "handed-off" : "relayed";
        for (const r of group) {
          const reply = result.replies.get(r.recipient.address) ?? "451 4.0.0 no reply";
          outcomes.set(r.index, outcomeFromReply(reply, hop, delivered));
        }
        break;
      }
      case "rejected":
        for (const r of group)
          outcomes.set(r.index, outcomeFromReply(result.reply, hop, "relayed"));
        break;
      case "local":
        if (result.reason === "requiretls") {
          return {
            outcomes,
            stopped: localOutcome(FAILURES.requireTlsUnsupported, result.text, hop),
          };
        }
        for (const r of group) {
          const failure =
            result.reason === "smtputf8" ? FAILURES.smtpUtf8Unsupported : FAILURES.tooBig;
          outcomes.set(r.index, localOutcome(failure, result.text, hop));
        }
        break;
      case "broken":
        return { outcomes, stopped: localOutcome(FAILURES.connectionLost, result.text, hop) };
    }
  }
  return { outcomes };
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * RFC 6531 §3.4: SMTPUTF8 goes on when the client declared it; the message needs it when an
 * address of this transaction is UTF-8 (whatever the client said), or when the client declared
 * it and a header field is UTF-8 (RFC 6532).
 */
function smtpUtf8Need(
  envelope: StoredEnvelope,
  group: readonly IndexedRecipient[],
  utf8Header: boolean,
): Envelope["smtpUtf8"] {
  const addresses = [envelope.from, ...group.map((r) => r.recipient.address)];
  if (addresses.some((a) => NON_ASCII.test(a))) return "required";
  if (envelope.smtpUtf8 !== true) return "no";
  return utf8Header ? "required" : "declared";
}

/** Whether the header section (up to the first empty line) has octets beyond ASCII. */
function hasUtf8Header(raw: Uint8Array): boolean {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const end = text.indexOf("\r\n\r\n");
  const header = end === -1 ? text : text.subarray(0, end);
  return header.some((byte) => byte > 0x7f);
}

function groupByDsn(recipients: readonly IndexedRecipient[]): IndexedRecipient[][] {
  const groups = new Map<string, IndexedRecipient[]>();
  for (const r of recipients) {
    const key = JSON.stringify([r.recipient.notify ?? null, r.recipient.orcpt ?? null]);
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()];
}

function notifyParam(notify: NonNullable<StoredRecipient["notify"]>): string {
  return notify === "never" ? "NEVER" : notify.map((n) => n.toUpperCase()).join(",");
}
