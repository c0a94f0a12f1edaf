/**
 * The maildrop of one POP3 session: a snapshot of the user's INBOX taken at login, numbered
 * 1..n in UID order (RFC 1939 §5), with the deletion marks of the session.
 *
 * - Messages delivered after login are not part of the snapshot; the next session sees them.
 * - DELE only marks; QUIT's UPDATE state expunges the marked UIDs from the store in one atomic
 *   operation (RFC 1939 §6). A session that ends any other way removes nothing.
 * - IMAP sessions may use the same INBOX at the same time: the store serializes the writes, a
 *   message IMAP expunged after our snapshot answers "-ERR ... removed by another session".
 * - One POP3 session per account at a time in this process (MaildropLocks), as RFC 1939 §8
 *   suggests; see the README for sessions in other processes.
 */
import type { Account, MailboxView, MailStore } from "../store/index.ts";
import { MAX_UNIQUE_ID_LENGTH } from "./limits.ts";
import { ProtocolError, REPLIES } from "./replies.ts";

export interface MaildropMessage {
  /** The message number of this session, 1-based. */
  readonly number: number;
  readonly uid: number;
  /** The stored size in octets (RFC822.SIZE), which LIST and STAT report. */
  readonly size: number;
}

/** In-process exclusive locks, one per account: a second POP3 login gets [IN-USE]. */
export class MaildropLocks {
  readonly #held = new Set<string>();

  /** The release function, or undefined when another session holds the account. */
  tryAcquire(userId: string): (() => void) | undefined {
    if (this.#held.has(userId)) return undefined;
    this.#held.add(userId);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held.delete(userId);
    };
  }

  get size(): number {
    return this.#held.size;
  }
}

export class Maildrop {
  readonly #messages: readonly MaildropMessage[];
  readonly #deleted = new Set<number>();
  #closed = false;

  private constructor(
    private readonly account: Account,
    private readonly view: MailboxView,
    readonly uidValidity: number,
    messages: readonly MaildropMessage[],
    private readonly release: () => void,
  ) {
    this.#messages = messages;
  }

  /** Opens the user's INBOX and takes the snapshot; `release` is called once it is closed. */
  static async open(store: MailStore, userId: string, release: () => void): Promise<Maildrop> {
    let account: Account | undefined;
    try {
      account = await store.openAccount(userId);
      const view = await account.openMailbox("INBOX");
      const [status, summaries] = await Promise.all([view.status(), view.list()]);
      const messages = summaries.map((m, i) => ({ number: i + 1, uid: m.uid, size: m.size }));
      return new Maildrop(account, view, status.uidValidity, messages, release);
    } catch (error) {
      release();
      await account?.close().catch(() => undefined);
      throw error;
    }
  }

  /** Messages not marked deleted, in message-number order. */
  live(): MaildropMessage[] {
    return this.#messages.filter((m) => !this.#deleted.has(m.number));
  }

  /** STAT's and RSET's figures: messages not marked deleted and their total size. */
  totals(): { count: number; size: number } {
    let size = 0;
    const live = this.live();
    for (const m of live) size += m.size;
    return { count: live.length, size };
  }

  /**
   * The message with this number (the command argument as sent), or a ProtocolError: RFC 1939
   * §5 "-ERR no such message" for a bad or unknown number and for one marked deleted.
   */
  message(argument: string): MaildropMessage {
    if (!/^[1-9]\d{0,9}$/.test(argument)) throw new ProtocolError(REPLIES.noSuchMessage);
    const message = this.#messages[Number(argument) - 1];
    if (!message) throw new ProtocolError(REPLIES.noSuchMessage);
    if (this.#deleted.has(message.number)) throw new ProtocolError(REPLIES.messageDeleted);
    return message;
  }

  /**
   * RFC 1939 §7 UIDL: UIDVALIDITY and UID together never name two messages of one INBOX, survive
   * every session and every restart of the server, and change only when the mailbox is recreated
   * or restored (new UIDVALIDITY), when clients must re-download anyway. At most 21 characters.
   */
  uniqueId(message: MaildropMessage): string {
    const id = `${this.uidValidity}.${message.uid}`;
    if (id.length > MAX_UNIQUE_ID_LENGTH) throw new Error(`unique-id too long: ${id}`);
    return id;
  }

  markDeleted(message: MaildropMessage): void {
    this.#deleted.add(message.number);
  }

  /** RFC 1939 §5 RSET: unmarks every message. */
  reset(): void {
    this.#deleted.clear();
  }

  /** The bytes [start, end) of the message; undefined once another session expunged it. */
  read(message: MaildropMessage, start: number, end: number): Promise<Uint8Array | undefined> {
    return this.view.read(message.uid, { start, end });
  }

  /** RETR sets \Seen in the store, so IMAP clients show the message as read. */
  async markSeen(message: MaildropMessage): Promise<void> {
    await this.view.storeFlags([[message.uid, message.uid]], "add", ["\\Seen"]);
  }

  /**
   * RFC 1939 §6 UPDATE state: removes the marked messages, whatever their flags, in one store
   * transaction. Resolves to the number removed (those another session removed first are not
   * counted).
   */
  async commit(): Promise<number> {
    const uids = this.#messages.filter((m) => this.#deleted.has(m.number)).map((m) => m.uid);
    if (uids.length === 0) return 0;
    const removed = await this.view.expunge({ uids: toRanges(uids), onlyDeleted: false });
    return removed.length;
  }

  /** Releases the lock and the account handle; safe to call more than once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.release();
    await this.account.close();
  }
}

/** Ascending UIDs as the store's ranges: [1, 2, 3, 7] gives [[1, 3], [7, 7]]. */
export function toRanges(uids: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const uid of uids) {
    const last = ranges.at(-1);
    if (last && uid === last[1] + 1) last[1] = uid;
    else ranges.push([uid, uid]);
  }
  return ranges;
}
