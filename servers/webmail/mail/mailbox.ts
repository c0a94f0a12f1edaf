/**
 * Folder and message-list operations on the user's IMAP connection. A page of the list by
 * arrival is one FETCH of that page's sequence numbers, so a folder of 100,000 messages costs
 * what a folder of ten does; another order, a search or conversations are a UID SORT (and UID
 * THREAD), kept while the mailbox is unchanged, then a FETCH of the page.
 */
import type {
  FetchMessageObject,
  ImapFlow,
  MessageAddressObject,
  MessageStructureObject,
  SearchObject,
} from "imapflow";
import type { Address, Folder, MessagePage, MessageSummary, ThreadInfo } from "../api-types.ts";
import { ApiError } from "../errors.ts";
import { MAX_THREAD_MESSAGES_SHOWN } from "../limits.ts";
import { cached, orderThreads, sortUids, threadUids, type ListOrder } from "./list-order.ts";

export type SpecialUse = "\\Inbox" | "\\Sent" | "\\Drafts" | "\\Trash" | "\\Junk" | "\\Archive";

export type { Address, Folder, MessagePage, MessageSummary, ThreadInfo } from "../api-types.ts";

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

export interface ListOptions {
  readonly page: number;
  readonly pageSize: number;
  readonly order: ListOrder;
  /** One row per conversation (THREAD=REFERENCES). */
  readonly threads: boolean;
  readonly search: SearchQuery;
}

function searchObject(query: SearchQuery): SearchObject {
  const criteria: SearchObject = {};
  for (const key of ["from", "to", "subject", "body", "text"] as const) {
    if (query[key]) criteria[key] = query[key];
  }
  if (query.since) criteria.since = new Date(`${query.since}T00:00:00Z`);
  if (query.before) criteria.before = new Date(`${query.before}T00:00:00Z`);
  return criteria;
}

async function summaries(client: ImapFlow, uids: readonly number[]) {
  const byUid = new Map<number, MessageSummary>();
  if (uids.length === 0) return byUid;
  for (const m of await client.fetchAll(uids.join(","), SUMMARY_QUERY, { uid: true })) {
    byUid.set(m.uid, summary(m));
  }
  return byUid;
}

/**
 * One page of the folder's list. Newest arrival first (the default) is one FETCH of the page's
 * sequence numbers; another order or a search is a UID SORT (kept while the mailbox is
 * unchanged, see list-order.ts) and a UID FETCH of the page; conversations add a UID THREAD.
 */
export async function listPage(
  client: ImapFlow,
  folder: string,
  options: ListOptions,
): Promise<MessagePage> {
  const { page, pageSize, order, threads } = options;
  const search = searchObject(options.search);
  const searching = Object.keys(search).length > 0;
  const head = { folder, page, pageSize, sort: order.sort, descending: order.descending, threads };
  return inMailbox(client, folder, async () => {
    // The mailbox may have been selected a while ago: NOOP brings its EXISTS up to date (and
    // SEARCH, SORT and THREAD see mail that arrived since).
    await client.noop();
    const exists = client.mailbox ? client.mailbox.exists : 0;
    if (!threads && !searching && order.sort === "arrival") {
      const messages = await arrivalPage(client, exists, page, pageSize, order.descending);
      return { ...head, total: exists, messages };
    }
    const orderKey = `${order.sort} ${order.descending} ${JSON.stringify(search)}`;
    const sorted =
      exists === 0
        ? []
        : await cached(client, `sort ${orderKey}`, () => sortUids(client, order, search));
    if (!threads) {
      const slice = sorted.slice(page * pageSize, (page + 1) * pageSize);
      const found = await summaries(client, slice);
      const messages = slice.flatMap((uid) => found.get(uid) ?? []);
      return { ...head, total: sorted.length, messages };
    }
    const conversations = await cached(client, `threads ${orderKey}`, async () =>
      orderThreads(exists === 0 ? [] : await threadUids(client, search), sorted),
    );
    const slice = conversations.slice(page * pageSize, (page + 1) * pageSize);
    const found = await summaries(
      client,
      slice.flatMap((t) => t.slice(0, MAX_THREAD_MESSAGES_SHOWN)),
    );
    const messages = slice.flatMap((uids) => {
      const members = uids.flatMap((uid) => found.get(uid) ?? []);
      const first = members[0];
      if (first === undefined) return [];
      if (uids.length === 1) return [first];
      const dates = members.flatMap((m) => (m.date === null ? [] : [m.date])).sort();
      const thread: ThreadInfo = {
        count: uids.length,
        unread: members.filter((m) => !m.flags.includes("\\Seen")).length,
        latest: dates.at(-1) ?? null,
        uids,
        messages: members,
      };
      return [{ ...first, thread }];
    });
    return { ...head, total: conversations.length, messages };
  });
}

/** A page by arrival: sequence numbers, no SORT needed. */
async function arrivalPage(
  client: ImapFlow,
  exists: number,
  page: number,
  pageSize: number,
  descending: boolean,
): Promise<MessageSummary[]> {
  const last = descending ? exists - page * pageSize : Math.min(exists, (page + 1) * pageSize);
  const first = descending ? Math.max(1, last - pageSize + 1) : page * pageSize + 1;
  if (last < 1 || first > last) return [];
  const messages = await client.fetchAll(`${first}:${last}`, SUMMARY_QUERY, { uid: false });
  messages.sort((a, b) => (descending ? b.seq - a.seq : a.seq - b.seq));
  return messages.map(summary);
}
