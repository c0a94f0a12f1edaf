/**
 * One structured line per SMTP transaction, with the facts operators follow a message by, as
 * they do with Postfix's maillog: id, from, to, relay, delay, status.
 */
import type { Logger } from "../shared/log.ts";

export interface TransactionRecord {
  /** Our transaction id: in the Received header and the 250 reply. */
  readonly id: string;
  readonly listener: "smtp" | "submission" | "submissions";
  readonly from: string;
  readonly to: readonly string[];
  /** Where it went: "mda" (LMTP), "queue", both, or "none". */
  readonly relay: "mda" | "queue" | "mda+queue" | "none";
  /** Delivered to the MDA, queued, deferred (4xx to the client), refused (5xx to the client). */
  readonly status: "delivered" | "queued" | "deferred" | "refused";
  /** The reply the client got: `250 2.0.0 ...`. */
  readonly reply: string;
  readonly startedAt: number;
  readonly size?: number;
  readonly queueId?: string;
  readonly user?: string;
  readonly spam?: string;
  readonly dkim?: readonly string[];
  readonly detail?: string;
}

export function logTransaction(log: Logger, record: TransactionRecord): void {
  const { startedAt, ...facts } = record;
  const delay = Math.round((Date.now() - startedAt) / 10) / 100; // seconds, like Postfix's delay=
  const line = { ...facts, delay };
  if (record.status === "deferred") log.warn(line, "transaction");
  else log.info(line, "transaction");
}
