/**
 * What operators see of the queue and what they may do to it, on a spool on disk: reading needs
 * no lock (every file is replaced atomically); retry and delete need the spool's lock, so they
 * run here only when no MTA holds it (otherwise they go to the MTA as control requests).
 */
import { MessageNotFoundError } from "./errors.ts";
import type { MessageState, StoredEnvelope, StoredRecipient } from "./records.ts";
import { retryNow } from "./recipient-state.ts";
import type { Spool } from "./spool.ts";

export interface QueueEntryView {
  readonly id: string;
  readonly from: string;
  readonly arrivedAt: string;
  readonly size: number;
  readonly origin: StoredEnvelope["origin"];
  readonly requireTls: boolean;
  /** MAIL FROM carried SMTPUTF8 (RFC 6531). */
  readonly smtpUtf8: boolean;
  /** MAIL FROM carried BODY=8BITMIME (RFC 6152). */
  readonly eightBitMime: boolean;
  /** RET and ENVID (RFC 3461 §4.3, §4.4), as the client gave them. */
  readonly dsn?: StoredEnvelope["dsn"];
  readonly recipients: readonly {
    readonly address: string;
    /** NOTIFY and ORCPT (RFC 3461 §4.1, §4.2). */
    readonly notify?: StoredRecipient["notify"];
    readonly orcpt?: string;
    readonly status: MessageState["recipients"][number]["status"];
    readonly attempts: number;
    readonly nextAttemptAt?: string;
    readonly lastAttemptAt?: string;
    readonly dsn?: string;
    readonly lastResult?: string;
    readonly relay?: string;
  }[];
}

export function viewOf(envelope: StoredEnvelope, state: MessageState): QueueEntryView {
  return {
    id: envelope.id,
    from: envelope.from,
    arrivedAt: new Date(envelope.arrivedAt).toISOString(),
    size: envelope.size,
    origin: envelope.origin,
    requireTls: envelope.requireTls === true,
    smtpUtf8: envelope.smtpUtf8 === true,
    eightBitMime: envelope.eightBitMime === true,
    ...(envelope.dsn ? { dsn: envelope.dsn } : {}),
    recipients: envelope.recipients.map((r, i) => {
      const s = state.recipients[i]!;
      return {
        address: r.address,
        ...(r.notify === undefined ? {} : { notify: r.notify }),
        ...(r.orcpt === undefined ? {} : { orcpt: r.orcpt }),
        status: s.status,
        attempts: s.attempts,
        ...(s.status === "pending"
          ? { nextAttemptAt: new Date(s.nextAttemptAt).toISOString() }
          : {}),
        ...(s.lastAttemptAt === undefined
          ? {}
          : { lastAttemptAt: new Date(s.lastAttemptAt).toISOString() }),
        ...(s.result ? { dsn: s.result.status, lastResult: s.result.text } : {}),
        ...(s.result?.relay ? { relay: s.result.relay } : {}),
      };
    }),
  };
}

/** Every message of the spool, oldest first; one removed while we read is skipped. */
export async function listSpool(spool: Spool): Promise<QueueEntryView[]> {
  const views: QueueEntryView[] = [];
  for (const id of await spool.ids()) {
    try {
      views.push(await showSpool(spool, id));
    } catch (error) {
      if (!(error instanceof MessageNotFoundError)) throw error;
    }
  }
  return views;
}

export async function showSpool(spool: Spool, id: string): Promise<QueueEntryView> {
  const envelope = await spool.readEnvelope(id);
  return viewOf(envelope, await spool.readState(envelope));
}

/** Makes pending recipients due now, on disk (lock held). Resolves to how many messages. */
export async function retryOnDisk(spool: Spool, id: string, now: number): Promise<number> {
  const ids = id === "all" ? await spool.ids() : [id];
  for (const qid of ids) {
    const envelope = await spool.readEnvelope(qid);
    await spool.writeState(qid, retryNow(await spool.readState(envelope), now));
  }
  return ids.length;
}

/** Deletes a message, no DSN (lock held). */
export async function removeOnDisk(spool: Spool, id: string): Promise<void> {
  await spool.readEnvelope(id); // MessageNotFoundError when it is not there
  await spool.remove(id);
}
