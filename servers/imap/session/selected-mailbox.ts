/**
 * The selected mailbox of a session: the store's MailboxView, the session's message view
 * (UIDs in sequence order) and what changed since the client was last told.
 *
 * Changes arrive as store events (other sessions, other processes) and mark the mailbox dirty
 * (for IDLE); `sync` reads `changesSince` the last MODSEQ it saw, whether dirty or not (another
 * process's commit reaches the events only at the store's next poll), and tells the client, following RFC 9051 §7.5.1: EXISTS and
 * flag FETCHes may go out during any command, EXPUNGE (or VANISHED, RFC 7162 §3.2.10) only when
 * the command allows it, since sequence numbers shift under it.
 */
import type { Account, MailboxStatus, MailboxView, MessageSummary } from "../../store/index.ts";
import { formatNumberSet } from "../protocol/sequence-set.ts";
import { atom, type Atom, type Value } from "../protocol/serializer.ts";
import { MessageView } from "./message-view.ts";

export interface SelectOptions {
  readonly readOnly: boolean;
  /** IMAP4rev1 SELECT: claim \Recent for this session (RFC 3501 §2.3.2). */
  readonly claimRecent: boolean;
}

/** Where untagged updates go, and which forms the session asked for. */
export interface UpdateSink {
  send(values: Value[]): void;
  /** RFC 7162 CONDSTORE is on: FETCH updates carry MODSEQ. */
  readonly condstore: boolean;
  /** RFC 7162 QRESYNC is on: expunges go out as VANISHED. */
  readonly qresync: boolean;
}

export const SYSTEM_FLAGS = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

export class SelectedMailbox {
  readonly view: MessageView;
  /** UIDs claimed as \Recent by this session (IMAP4rev1 only). */
  readonly recent = new Set<number>();
  /** RFC 5182 SEARCHRES: UIDs saved by the last SEARCH ... RETURN (SAVE). */
  saved: number[] | undefined;
  keywords: string[];
  syncedModseq: number;
  #dirty = false;
  /** Expunged in the store, not yet told to the client (still in the view). */
  readonly #expunged = new Set<number>();
  /** Flag changes the session already reported itself (STORE), by UID: the MODSEQ reported. */
  readonly #reported = new Map<number, number>();
  readonly #waiters = new Set<() => void>();

  private constructor(
    readonly store: MailboxView,
    readonly status: MailboxStatus,
    readonly options: SelectOptions,
    uids: readonly number[],
    keywords: string[],
  ) {
    this.view = new MessageView(uids);
    this.keywords = keywords;
    this.syncedModseq = status.highestModseq;
  }

  /** Opens a mailbox; resolves with it and the summaries of its messages (for SELECT's counts). */
  static async open(
    account: Account,
    name: string,
    options: SelectOptions,
  ): Promise<{ mailbox: SelectedMailbox; summaries: MessageSummary[] }> {
    const store = await account.openMailbox(name);
    const status = await store.status();
    // Messages up to UIDNEXT-1 as of this status: a consistent snapshot; later ones come as EXISTS.
    const summaries = status.uidNext > 1 ? await store.list([[1, status.uidNext - 1]]) : [];
    const keywords = await account.keywords();
    const mailbox = new SelectedMailbox(
      store,
      status,
      options,
      summaries.map((s) => s.uid),
      keywords,
    );
    if (options.claimRecent) for (const uid of await store.claimRecent()) mailbox.recent.add(uid);
    return { mailbox, summaries };
  }

  get id(): number {
    return this.store.id;
  }

  get readOnly(): boolean {
    return this.options.readOnly;
  }

  /** A store event for this mailbox: something changed. */
  noteChange(): void {
    this.#dirty = true;
    for (const wake of [...this.#waiters]) wake();
  }

  /** Our own command changed the mailbox; the next sync looks. */
  markDirty(): void {
    this.#dirty = true;
  }

  /** A FETCH FLAGS the session sent itself, so a later sync does not repeat it. */
  noteReported(uid: number, modseq: number): void {
    this.#reported.set(uid, modseq);
  }

  /** True when something is waiting to be told (IDLE pushes at once). */
  get pending(): boolean {
    return this.#dirty || this.#expunged.size > 0;
  }

  /** Resolves at the next change (IDLE), or when `signal` aborts. */
  waitForChange(signal: AbortSignal): Promise<void> {
    // An abort event fires once: a signal aborted already (DONE came during the last sync or
    // flush) would never wake this waiter.
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#waiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Flags as the client sees them: stored flags, plus \Recent for IMAP4rev1 sessions. */
  flags(uid: number, flags: readonly string[]): Atom[] {
    const out = flags.map((f) => atom(f));
    if (this.recent.has(uid)) out.push(atom("\\Recent"));
    return out;
  }

  /** The same as text, for the simple FETCH path. */
  flagText(uid: number, flags: readonly string[]): string {
    const text = flags.join(" ");
    if (!this.recent.has(uid)) return text;
    return text === "" ? "\\Recent" : `${text} \\Recent`;
  }

  /**
   * Before FETCH or STORE shows flags: keywords this session has not been told of (set by
   * another session since its last sync, or by this STORE) go out first in FLAGS and
   * PERMANENTFLAGS (RFC 9051 §7.3.5), as a client may reject a keyword it was not given.
   */
  announceKeywords(flagLists: Iterable<readonly string[]>, out: Pick<UpdateSink, "send">): void {
    const fresh = new Set<string>();
    for (const flags of flagLists) {
      for (const f of flags) if (!f.startsWith("\\") && !this.keywords.includes(f)) fresh.add(f);
    }
    if (fresh.size === 0) return;
    this.keywords = [...this.keywords, ...fresh];
    out.send(this.flagsResponse());
    out.send([atom("OK"), atom(`[${this.permanentFlagsCode()}] Flags permitted`)]);
  }

  /** `FLAGS (...)` and `OK [PERMANENTFLAGS (...)]` data for SELECT and keyword changes. */
  flagsResponse(): Value[] {
    return [atom("FLAGS"), [...SYSTEM_FLAGS, ...this.keywords].map((f) => atom(f))];
  }

  permanentFlagsCode(): string {
    if (this.readOnly) return "PERMANENTFLAGS ()";
    return `PERMANENTFLAGS (${[...SYSTEM_FLAGS, ...this.keywords, "\\*"].join(" ")})`;
  }

  /** Tells the client what changed: expunges (when `allowExpunge`), new messages, flag changes. */
  async sync(out: UpdateSink, allowExpunge: boolean, account: Account): Promise<void> {
    // Commits of other processes (another IMAP worker, the MDA) reach this process's store
    // events only at the store's next poll. A client that acts on one connection and then asks
    // on another expects to see its change at once, as in one process (imaptest's scripted
    // tests do), so every sync asks what changed after the last MODSEQ seen: two indexed range
    // reads that find nothing when nothing changed (`status()` could count \Recent messages).
    this.#dirty = false;
    const changes = await this.store.changesSince(this.syncedModseq);
    for (const uid of changes.vanished) if (this.view.has(uid)) this.#expunged.add(uid);
    const maxUid = this.view.maxUid;
    const added: number[] = [];
    const updated: MessageSummary[] = [];
    let newKeyword = false;
    for (const message of changes.changed) {
      if (message.uid > maxUid) added.push(message.uid);
      else if (this.view.has(message.uid) && !this.#expunged.has(message.uid)) {
        const reported = this.#reported.get(message.uid);
        if (reported === undefined || reported < message.modseq) updated.push(message);
      }
      if (message.flags.some((f) => !f.startsWith("\\") && !this.keywords.includes(f))) {
        newKeyword = true;
      }
    }
    this.#reported.clear();
    this.syncedModseq = Math.max(this.syncedModseq, changes.highestModseq);
    if (newKeyword) {
      this.keywords = await account.keywords();
      out.send(this.flagsResponse());
      out.send([atom("OK"), atom(`[${this.permanentFlagsCode()}] Flags changed`)]);
    }
    if (allowExpunge) this.#sendExpunges(out);
    if (added.length > 0) {
      this.view.append(added);
      out.send([this.view.count, atom("EXISTS")]);
      if (this.options.claimRecent) {
        for (const uid of await this.store.claimRecent()) this.recent.add(uid);
        let recent = 0;
        for (const uid of this.recent) if (this.view.has(uid)) recent++;
        out.send([recent, atom("RECENT")]);
      }
    }
    for (const message of updated) {
      const seq = this.view.seqOf(message.uid);
      if (seq === undefined) continue;
      const data: Value[] = [atom("UID"), message.uid, atom("FLAGS")];
      data.push(this.flags(message.uid, message.flags));
      if (out.condstore) data.push(atom("MODSEQ"), [message.modseq]);
      out.send([seq, atom("FETCH"), data]);
    }
  }

  #sendExpunges(out: UpdateSink): void {
    if (this.#expunged.size === 0) return;
    const gone = new Set(this.#expunged);
    this.#expunged.clear();
    this.expunged(gone, out);
  }

  /** Removes messages from the view and says so: EXPUNGE per message, or one VANISHED. */
  expunged(uids: ReadonlySet<number>, out: UpdateSink): void {
    const present = [...uids].filter((uid) => this.view.has(uid)).sort((a, b) => a - b);
    if (present.length === 0) return;
    const seqs = this.view.remove(new Set(present));
    for (const uid of present) {
      this.recent.delete(uid);
      this.#expunged.delete(uid);
    }
    if (this.saved) this.saved = this.saved.filter((uid) => !uids.has(uid));
    if (out.qresync) out.send([atom("VANISHED"), atom(formatNumberSet(present))]);
    else for (const seq of seqs) out.send([seq, atom("EXPUNGE")]);
  }

  /** Was this UID expunged in the store (known, not yet told)? */
  isExpunged(uid: number): boolean {
    return this.#expunged.has(uid);
  }
}
