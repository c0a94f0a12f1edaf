/**
 * Change notification across processes, for IMAP IDLE (RFC 2177) and for keeping sessions'
 * views right. While anyone watches an account, a short timer reads `PRAGMA data_version`,
 * which changes when another connection (another process) commits; then the account's MODSEQ
 * counter says whether messages changed and mailbox_version whether the mailbox list did, and
 * per-mailbox MODSEQs narrow the scan to the mailboxes that moved. Commits of this process call
 * `changed()` directly (data_version does not move for the connection's own commits), and its
 * watchers hear of them before the committing call returns: a session that acts and then asks
 * on another connection of the same process always sees its change.
 */
import type { StoreEvent } from "../types.ts";
import type { Database } from "./database.ts";

/** Poll interval: events reach a watcher well within the one second the IDLE figure allows. */
export const POLL_INTERVAL_MS = 200;

interface Known {
  uidNext: number;
  highestModseq: number;
}

export class Notifier {
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private timer: NodeJS.Timeout | undefined;
  private deferred = false;
  private dataVersion = -1;
  private modseq = 0;
  private mailboxVersion = 0;
  private known = new Map<number, Known>();

  constructor(
    private readonly d: Database,
    private readonly intervalMs = POLL_INTERVAL_MS,
  ) {}

  add(listener: (event: StoreEvent) => void): () => void {
    if (this.listeners.size === 0) this.start();
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** A commit happened in this process: tell the watchers now. */
  changed(): void {
    if (!this.d.db.isTransaction) {
      this.check();
      return;
    }
    // Inside an enclosing transaction (a nested write) nothing is committed yet, and what
    // collect() read could still roll back: look once that transaction is over.
    if (this.deferred) return;
    this.deferred = true;
    setImmediate(() => {
      this.deferred = false;
      this.check();
    });
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private start(): void {
    this.d.read(() => {
      this.dataVersion = this.d.dataVersion();
      const account = this.accountRow();
      this.modseq = account.modseq;
      this.mailboxVersion = account.mailbox_version;
      this.known = new Map(this.mailboxRows().map((r) => [r.id, known(r)]));
    });
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    // A watcher must not keep a process alive on its own.
    this.timer.unref();
  }

  private poll(): void {
    if (!this.d.db.isOpen) return;
    const version = this.d.dataVersion();
    if (version === this.dataVersion) return;
    this.dataVersion = version;
    this.check();
  }

  private accountRow(): { modseq: number; mailbox_version: number } {
    return this.d.stmt("SELECT modseq, mailbox_version FROM account").get() as {
      modseq: number;
      mailbox_version: number;
    };
  }

  private mailboxRows(): { id: number; uidnext: number; highestmodseq: number }[] {
    return this.d.stmt("SELECT id, uidnext, highestmodseq FROM mailboxes").all() as {
      id: number;
      uidnext: number;
      highestmodseq: number;
    }[];
  }

  private check(): void {
    if (this.listeners.size === 0 || !this.d.db.isOpen) return;
    const events = this.d.read(() => this.collect());
    for (const event of events) {
      for (const listener of [...this.listeners]) {
        try {
          listener(event);
        } catch {
          // A failing watcher must not stop the others from hearing about the change.
        }
      }
    }
  }

  private collect(): StoreEvent[] {
    const account = this.accountRow();
    const events: StoreEvent[] = [];
    if (account.mailbox_version !== this.mailboxVersion) events.push({ type: "mailboxes" });
    this.mailboxVersion = account.mailbox_version;
    if (account.modseq === this.modseq) return events;
    this.modseq = account.modseq;
    const next = new Map<number, Known>();
    for (const row of this.mailboxRows()) {
      const before = this.known.get(row.id) ?? { uidNext: 1, highestModseq: 0 };
      next.set(row.id, known(row));
      if (row.highestmodseq <= before.highestModseq) continue;
      const highestModseq = row.highestmodseq;
      const uids = (sql: string, ...args: number[]): number[] =>
        (this.d.stmt(sql).all(row.id, ...args) as { uid: number }[]).map((r) => r.uid);
      const expunged = uids(
        "SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? AND uid < ? ORDER BY uid",
        before.highestModseq,
        before.uidNext,
      );
      const added = uids(
        "SELECT uid FROM messages WHERE mailbox_id = ? AND uid >= ? ORDER BY uid",
        before.uidNext,
      );
      const flagged = uids(
        "SELECT uid FROM messages WHERE mailbox_id = ? AND modseq > ? AND uid < ? ORDER BY uid",
        before.highestModseq,
        before.uidNext,
      );
      const mailboxId = row.id;
      if (expunged.length > 0)
        events.push({ type: "expunge", mailboxId, uids: expunged, highestModseq });
      if (added.length > 0) events.push({ type: "exists", mailboxId, uids: added, highestModseq });
      if (flagged.length > 0)
        events.push({ type: "flags", mailboxId, uids: flagged, highestModseq });
    }
    this.known = next;
    return events;
  }
}

function known(row: { uidnext: number; highestmodseq: number }): Known {
  return { uidNext: row.uidnext, highestModseq: row.highestmodseq };
}
