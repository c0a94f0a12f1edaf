/**
 * Folder and message-list operations on the user's IMAP connection. A page of the list is one
 * FETCH of that page's sequence numbers (newest first, by arrival), so a folder of 100,000
 * messages costs what a folder of ten does; a search is one UID SEARCH, then a FETCH of a page.
 */
import type {
  FetchMessageObject,
  ImapFlow,
  MessageAddressObject,
  MessageStructureObject,
  SearchObject,
} from "imapflow";
import { ApiError } from "../errors.ts";

export type SpecialUse = "\\Inbox" | "\\Sent" | "\\Drafts" | "\\Trash" | "\\Junk" | "\\Archive";

export interface Folder {
  readonly path: string;
  readonly name: string;
  readonly delimiter: string;
  readonly specialUse: string | null;
  readonly total: number;
  readonly unread: number;
}

export interface Address {
  readonly name: string;
  readonly address: string;
}

export interface MessageSummary {
  readonly uid: number;
  readonly from: Address[];
  readonly to: Address[];
  readonly subject: string;
  readonly date: string | null;
  readonly size: number;
  readonly flags: string[];
  readonly hasAttachment: boolean;
}

export interface MessagePage {
  readonly folder: string;
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly messages: MessageSummary[];
}

/** Runs `work` with `path` selected; the lock keeps another request from selecting elsewhere. */
export async function inMailbox<T>(
  client: ImapFlow,
  path: string,
  work: () => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  let lock;
  try {
    lock = await client.getMailboxLock(path, { readOnly: options.readOnly ?? false });
  } catch (error) {
    if ((error as { mailboxMissing?: boolean }).mailboxMissing) throw new ApiError("NOT_FOUND");
    throw error;
  }
  try {
    return await work();
  } finally {
    lock.release();
  }
}

export async function listFolders(client: ImapFlow): Promise<Folder[]> {
  const list = await client.list({ statusQuery: { messages: true, unseen: true } });
  return list
    .filter((f) => !f.flags.has("\\Noselect") && !f.flags.has("\\NonExistent"))
    .map((f) => ({
      path: f.path,
      name: f.name,
      delimiter: f.delimiter,
      specialUse: f.specialUse ?? (f.path.toUpperCase() === "INBOX" ? "\\Inbox" : null),
      total: f.status?.messages ?? 0,
      unread: f.status?.unseen ?? 0,
    }));
}

/** The path of the folder with this special use (RFC 6154), e.g. \Junk; NOT_FOUND if none. */
export async function folderFor(client: ImapFlow, use: SpecialUse): Promise<string> {
  if (use === "\\Inbox") return "INBOX";
  const found = (await client.list()).find((f) => f.specialUse === use);
  if (found === undefined) throw new ApiError("NOT_FOUND", `This account has no ${use} folder.`);
  return found.path;
}

const SUMMARY_QUERY = {
  uid: true,
  flags: true,
  envelope: true,
  size: true,
  bodyStructure: true,
} as const;

export function addresses(list: MessageAddressObject[] | undefined): Address[] {
  return (list ?? []).map((a) => ({ name: a.name ?? "", address: a.address ?? "" }));
}

function hasAttachment(node: MessageStructureObject | undefined): boolean {
  if (node === undefined) return false;
  if (node.disposition?.toLowerCase() === "attachment") return true;
  if (node.type.toLowerCase() === "message/rfc822") return true;
  return (node.childNodes ?? []).some(hasAttachment);
}

function summary(m: FetchMessageObject): MessageSummary {
  return {
    uid: m.uid,
    from: addresses(m.envelope?.from),
    to: addresses(m.envelope?.to),
    subject: m.envelope?.subject ?? "",
    date: m.envelope?.date ? new Date(m.envelope.date).toISOString() : null,
    size: m.size ?? 0,
    flags: [...(m.flags ?? [])],
    hasAttachment: hasAttachment(m.bodyStructure),
  };
}

/** Page `page` (0 = newest) of the folder, newest first. */
export async function listPage(
  client: ImapFlow,
  folder: string,
  page: number,
  pageSize: number,
): Promise<MessagePage> {
  return inMailbox(
    client,
    folder,
    async () => {
      // The mailbox may have been selected a while ago: NOOP brings its EXISTS up to date.
      await client.noop();
      const exists = client.mailbox ? client.mailbox.exists : 0;
      const last = exists - page * pageSize;
      const first = Math.max(1, last - pageSize + 1);
      const messages =
        last < 1 ? [] : await client.fetchAll(`${first}:${last}`, SUMMARY_QUERY, { uid: false });
      messages.sort((a, b) => b.seq - a.seq);
      return { folder, total: exists, page, pageSize, messages: messages.map(summary) };
    },
    { readOnly: true },
  );
}

export interface SearchQuery {
  readonly from?: string;
  readonly to?: string;
  readonly subject?: string;
  readonly body?: string;
  /** Anywhere in the headers or body (IMAP TEXT). */
  readonly text?: string;
  /** yyyy-mm-dd, inclusive. */
  readonly since?: string;
  /** yyyy-mm-dd, exclusive (IMAP BEFORE). */
  readonly before?: string;
}

export async function searchPage(
  client: ImapFlow,
  folder: string,
  query: SearchQuery,
  page: number,
  pageSize: number,
): Promise<MessagePage> {
  const criteria: SearchObject = {};
  for (const key of ["from", "to", "subject", "body", "text"] as const) {
    if (query[key]) criteria[key] = query[key];
  }
  if (query.since) criteria.since = new Date(`${query.since}T00:00:00Z`);
  if (query.before) criteria.before = new Date(`${query.before}T00:00:00Z`);
  if (Object.keys(criteria).length === 0) criteria.all = true;
  return inMailbox(
    client,
    folder,
    async () => {
      // As for a page: bring the selected mailbox's view up to date, or SEARCH misses new mail.
      await client.noop();
      const found = (await client.search(criteria, { uid: true })) || [];
      const uids = [...found].sort((a, b) => b - a);
      const slice = uids.slice(page * pageSize, (page + 1) * pageSize);
      const messages =
        slice.length === 0
          ? []
          : await client.fetchAll(slice.join(","), SUMMARY_QUERY, { uid: true });
      messages.sort((a, b) => b.uid - a.uid);
      return { folder, total: uids.length, page, pageSize, messages: messages.map(summary) };
    },
    { readOnly: true },
  );
}
