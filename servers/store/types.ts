/**
 * The mail store as the servers see it: the MDA, IMAP and POP3 program against these interfaces
 * only. The embedded backend (sqlite/) implements them on one SQLite database per user; a
 * scale-out backend (PostgreSQL metadata, S3-compatible blobs) can implement them later without
 * touching a server.
 *
 * Everything is addressed by UID, never by message sequence number: sequence numbers belong to an
 * IMAP session's view (RFC 9051 §2.3.1.2) and change under it, UIDs do not. Every operation is
 * atomic; a promise that resolves means the change is durable.
 */
import type { Envelope } from "./mime/envelope.ts";
import type { MimePart } from "./mime/mime-tree.ts";
import type { SearchKey } from "./search-key.ts";

export type { Envelope } from "./mime/envelope.ts";
export type { MimePart } from "./mime/mime-tree.ts";
export type { SearchKey } from "./search-key.ts";

/**
 * A set of UIDs as ranges, inclusive at both ends: `[[1, 5], [9, 9]]`. The IMAP server resolves
 * `*` and sequence numbers before calling (it knows its session's view); the store ignores UIDs
 * that do not exist, as RFC 9051 §6.4.9 asks of UID commands.
 */
export type UidSet = readonly (readonly [number, number])[];

/** RFC 6154 special-use attributes the store assigns; `\Inbox` is our name for INBOX's role. */
export type SpecialUse = "\\Inbox" | "\\Sent" | "\\Drafts" | "\\Trash" | "\\Junk" | "\\Archive";

export interface MailboxInfo {
  /** Stable for the life of the mailbox, kept across RENAME; never reused within an account. */
  readonly id: number;
  /** UTF-8, "/" as the hierarchy delimiter, NFC; INBOX is always spelled "INBOX". */
  readonly name: string;
  readonly specialUse: SpecialUse | null;
  readonly subscribed: boolean;
  readonly uidValidity: number;
  readonly uidNext: number;
  /** RFC 7162 HIGHESTMODSEQ; at least 1 even for a new, empty mailbox. */
  readonly highestModseq: number;
}

export interface MailboxStatus extends MailboxInfo {
  readonly messages: number;
  readonly unseen: number;
  /** RFC 8438 STATUS SIZE: the sum of RFC822.SIZE of all messages. */
  readonly size: number;
  /** Messages with \Deleted set (RFC 9051 STATUS DELETED). */
  readonly deleted: number;
  /** IMAP4rev1 STATUS RECENT: messages no session has claimed yet (see claimRecent). */
  readonly recent: number;
}

/** The per-message facts an IMAP SELECT, FETCH FLAGS or POP3 LIST needs, cheap to list. */
export interface MessageSummary {
  readonly uid: number;
  readonly modseq: number;
  /** System flags (`\Seen`, `\Answered`, `\Flagged`, `\Deleted`, `\Draft`) then keywords. */
  readonly flags: readonly string[];
  /** RFC822.SIZE: the stored message's exact octet count. */
  readonly size: number;
  readonly internalDate: InternalDate;
}

/** INTERNALDATE keeps the zone it was given in, since FETCH returns it with that zone. */
export interface InternalDate {
  /** Milliseconds since the epoch (UTC). */
  readonly time: number;
  /** Offset of the original zone from UTC in minutes (+0200 is 120). */
  readonly zoneMinutes: number;
}

/** What was parsed at append time, so FETCH ENVELOPE/BODYSTRUCTURE never re-reads the message. */
export interface MessageMetadata {
  readonly uid: number;
  readonly envelope: Envelope;
  /** The MIME tree with byte offsets of every part (RFC 9051 §7.5.2 BODYSTRUCTURE). */
  readonly mime: MimePart;
}

export interface AppendOptions {
  /** Flags and keywords to set; `\Recent` is ignored (IMAP4rev2 dropped it). */
  readonly flags?: readonly string[];
  /** Default: now, in the server's zone. */
  readonly internalDate?: InternalDate | Date;
  /**
   * Duplicate suppression for the MDA: when a message with the same key was delivered to the same
   * mailbox within `windowMs`, nothing is stored and the result says `duplicate`.
   */
  readonly dedupe?: { readonly key: string; readonly windowMs: number };
}

export type AppendResult =
  | {
      readonly duplicate: false;
      readonly mailboxId: number;
      readonly uidValidity: number;
      readonly uid: number;
      readonly modseq: number;
    }
  | { readonly duplicate: true; readonly mailboxId: number };

export type FlagOperation = "add" | "remove" | "replace";

export interface StoreFlagsOptions {
  /** RFC 7162 UNCHANGEDSINCE: messages with a greater MODSEQ are not changed but reported. */
  readonly unchangedSince?: number;
}

export interface StoreFlagsResult {
  /** Every existing message of the set that passed the UNCHANGEDSINCE test, in UID order. */
  readonly messages: readonly (MessageSummary & { readonly changed: boolean })[];
  /** UIDs that failed the UNCHANGEDSINCE test (the MODIFIED response code). */
  readonly modified: readonly number[];
}

/** RFC 4315 COPYUID / RFC 6851 MOVE: source UIDs and the UIDs they got in the target. */
export interface CopyResult {
  readonly uidValidity: number;
  readonly pairs: readonly (readonly [source: number, target: number])[];
}

export interface ExpungeOptions {
  /** Limit to these UIDs (UID EXPUNGE, RFC 4315). */
  readonly uids?: UidSet;
  /** Default true: only messages flagged \Deleted. POP3's QUIT passes false. */
  readonly onlyDeleted?: boolean;
}

/** CONDSTORE/QRESYNC (RFC 7162): what changed in a mailbox after a MODSEQ. */
export interface Changes {
  readonly highestModseq: number;
  /** Messages (new or with changed flags) whose MODSEQ is greater, in UID order. */
  readonly changed: readonly MessageSummary[];
  /** UIDs expunged after the MODSEQ, ascending. */
  readonly vanished: readonly number[];
}

/** RFC 5256 SORT keys (plus RFC 5957 DISPLAYFROM/DISPLAYTO). */
export type SortKey =
  "arrival" | "cc" | "date" | "from" | "size" | "subject" | "to" | "displayfrom" | "displayto";

export interface SortCriterion {
  readonly key: SortKey;
  readonly reverse?: boolean;
}

/** The threading facts of one message (RFC 5256 THREAD REFERENCES / ORDEREDSUBJECT). */
export interface ThreadFacts {
  readonly uid: number;
  readonly messageId: string | null;
  /** References then In-Reply-To message-ids, oldest first, without angle brackets. */
  readonly references: readonly string[];
  /** RFC 5256 §2.1 base subject, decoded and case-folded: equal strings are the same subject. */
  readonly baseSubject: string;
  /** The subject had a reply or forward marker (RFC 5256 §2.1), for THREAD REFERENCES. */
  readonly isReply: boolean;
  /** The sent date (Date header, else INTERNALDATE), milliseconds since the epoch. */
  readonly sentTime: number;
}

/** A section of a message as IMAP FETCH BODY[...] names it (RFC 9051 §6.4.5). */
export interface Section {
  /** Part numbers, `[]` for the whole message; `[1, 2]` is "1.2". */
  readonly part: readonly number[];
  /** "" for the part itself; HEADER/TEXT apply to a message, MIME to a body part. */
  readonly text: "" | "HEADER" | "TEXT" | "MIME";
}

export interface QuotaUsage {
  readonly storageBytes: number;
  readonly messages: number;
  /** Limits, undefined when none is set. */
  readonly storageLimit: number | undefined;
  readonly messageLimit: number | undefined;
}

export interface QuotaLimits {
  readonly storageBytes?: number | undefined;
  readonly messages?: number | undefined;
}

/**
 * Changes another session or process made, so IMAP IDLE (RFC 2177) can push them. They arrive
 * within a second of the commit; a server re-reads what it needs (`changesSince`) rather than
 * trusting an event to carry everything.
 */
export type StoreEvent =
  | {
      readonly type: "exists";
      readonly mailboxId: number;
      readonly uids: readonly number[];
      readonly highestModseq: number;
    }
  | {
      readonly type: "expunge";
      readonly mailboxId: number;
      readonly uids: readonly number[];
      readonly highestModseq: number;
    }
  | {
      readonly type: "flags";
      readonly mailboxId: number;
      readonly uids: readonly number[];
      readonly highestModseq: number;
    }
  /** Mailboxes were created, renamed or deleted, or subscriptions changed. */
  | { readonly type: "mailboxes" };

/** One opened mailbox; bound to the mailbox id, so it survives a RENAME. */
export interface MailboxView {
  readonly id: number;
  /** Current name, counters, UIDNEXT and HIGHESTMODSEQ (re-read on every call). */
  status(): Promise<MailboxStatus>;
  /** Summaries of the messages in UID order, all or those of `uids`. */
  list(uids?: UidSet): Promise<MessageSummary[]>;
  /** Envelope and MIME tree of each existing message of `uids`, in UID order. */
  metadata(uids: UidSet): Promise<MessageMetadata[]>;
  /** The raw message, or the byte range [start, end) of it; undefined if the UID is gone. */
  read(uid: number, range?: { start: number; end: number }): Promise<Uint8Array | undefined>;
  /** The bytes of a BODY[section]; an empty array for a part number the message lacks. */
  readSection(uid: number, section: Section): Promise<Uint8Array | undefined>;
  storeFlags(
    uids: UidSet,
    operation: FlagOperation,
    flags: readonly string[],
    options?: StoreFlagsOptions,
  ): Promise<StoreFlagsResult>;
  /** Removes messages; resolves to the expunged UIDs, ascending. */
  expunge(options?: ExpungeOptions): Promise<number[]>;
  copy(uids: UidSet, target: number): Promise<CopyResult>;
  /** RFC 6851: atomic copy plus expunge of the source messages. */
  move(uids: UidSet, target: number): Promise<CopyResult>;
  /** UIDs matching every key (an implicit AND), ascending. */
  search(keys: readonly SearchKey[]): Promise<number[]>;
  /** UIDs matching `keys`, ordered by the criteria, ties broken by UID (RFC 5256 §3). */
  sort(criteria: readonly SortCriterion[], keys: readonly SearchKey[]): Promise<number[]>;
  threadFacts(keys: readonly SearchKey[]): Promise<ThreadFacts[]>;
  changesSince(modseq: number): Promise<Changes>;
  /**
   * RFC 3501 \Recent for IMAP4rev1 sessions: claims the messages no session has seen yet, so
   * exactly one session reports each as recent. Resolves to the claimed UIDs.
   */
  claimRecent(): Promise<number[]>;
}

export interface Account {
  readonly userId: string;
  listMailboxes(): Promise<MailboxInfo[]>;
  /** Subscribed names, including names with no mailbox (RFC 9051 §6.3.9 LSUB/LIST SUBSCRIBED). */
  listSubscriptions(): Promise<string[]>;
  /** By name (INBOX case-insensitively) or id; undefined if there is none. */
  getMailbox(nameOrId: string | number): Promise<MailboxInfo | undefined>;
  /** The mailbox with this role, created on first use under its default name. */
  mailboxByRole(role: SpecialUse): Promise<MailboxInfo>;
  /** Creates the mailbox and any missing parents (RFC 9051 §6.3.4). */
  createMailbox(name: string, options?: { specialUse?: SpecialUse }): Promise<MailboxInfo>;
  /** Renames with all children; renaming INBOX moves its messages instead (RFC 9051 §6.3.6). */
  renameMailbox(from: string, to: string): Promise<void>;
  /** Deletes the mailbox and its messages; children stay. INBOX cannot be deleted. */
  deleteMailbox(name: string): Promise<void>;
  setSubscribed(name: string, subscribed: boolean): Promise<void>;
  status(nameOrId: string | number): Promise<MailboxStatus>;
  /** Keywords ever used in the account, for FLAGS/PERMANENTFLAGS. */
  keywords(): Promise<string[]>;
  openMailbox(nameOrId: string | number): Promise<MailboxView>;
  /**
   * Stores a message. Appends arriving together are committed in one transaction (group commit);
   * the promise resolves once the message is durable. Throws OVERQUOTA when it does not fit.
   */
  append(mailbox: string | number, raw: Uint8Array, options?: AppendOptions): Promise<AppendResult>;
  quota(): Promise<QuotaUsage>;
  setQuota(limits: QuotaLimits): Promise<void>;
  /** Calls `listener` for changes made by any session or process; returns the unsubscriber. */
  watch(listener: (event: StoreEvent) => void): () => void;
  /** Releases this handle; the account's resources go once every handle is closed. */
  close(): Promise<void>;
}

export interface OpenAccountOptions {
  /** Limits from the directory; stored when they differ from what the account has. */
  readonly quota?: QuotaLimits;
}

export interface MailStore {
  openAccount(userId: string, options?: OpenAccountOptions): Promise<Account>;
  /** User ids of every account that has stored mail. */
  listAccounts(): Promise<string[]>;
  close(): Promise<void>;
}
