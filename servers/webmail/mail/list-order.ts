/**
 * The message list's order, from the IMAP server: UID SORT (RFC 5256 §3) for date, sender,
 * subject and size, UID THREAD=REFERENCES (RFC 5256 §2.2) for conversations. imapflow has no
 * SORT or THREAD, so they go through its command queue (`exec`) with the search keys its own
 * compiler builds. Our IMAP server announces SORT and THREAD=REFERENCES but not ESORT or
 * CONTEXT=SORT, so an answer is every matching UID: it is kept per connection while the selected
 * mailbox is unchanged (no EXISTS, EXPUNGE or new SELECT), so paging costs one FETCH.
 */
import type { ImapFlow, SearchObject } from "imapflow";
import type { SortKey } from "../api-types.ts";
import { searchCompiler, type SearchAttribute } from "imapflow/lib/search-compiler.js";

export const SORT_KEYS = [
  "arrival",
  "date",
  "from",
  "subject",
  "size",
] as const satisfies readonly SortKey[];
export type { SortKey };

export interface ListOrder {
  readonly sort: SortKey;
  readonly descending: boolean;
}

/** The IMAP sort criterion of each key (RFC 5256 §3; DISPLAYFROM is RFC 5957). */
const IMAP_KEY: Readonly<Record<SortKey, string>> = {
  arrival: "ARRIVAL",
  date: "DATE",
  from: "DISPLAYFROM",
  subject: "SUBJECT",
  size: "SIZE",
};

interface Untagged {
  readonly attributes?: unknown[];
}

/** The part of imapflow's connection that runs a raw command (internal in its typings). */
interface RawCommands {
  exec(
    command: string,
    attributes: SearchAttribute[],
    options: { untagged: Record<string, (untagged: Untagged | undefined) => Promise<void>> },
  ): Promise<{ next: () => void }>;
}

const atom = (value: string): SearchAttribute => ({ type: "ATOM", value });

/** Every number in a parsed response, depth first (a THREAD tree flattened). */
function numbersIn(value: unknown, into: number[]): number[] {
  if (Array.isArray(value)) for (const item of value) numbersIn(item, into);
  else if (value !== null && typeof value === "object") {
    const n = Number((value as { value?: unknown }).value);
    if (Number.isSafeInteger(n) && n > 0) into.push(n);
  }
  return into;
}

async function run(
  client: ImapFlow,
  command: string,
  attributes: SearchAttribute[],
  untagged: string,
  onLine: (attributes: unknown[]) => void,
): Promise<void> {
  const response = await (client as unknown as RawCommands).exec(command, attributes, {
    untagged: {
      [untagged]: async (line) => {
        await Promise.resolve();
        onLine(line?.attributes ?? []);
      },
    },
  });
  response.next();
}

function criteria(client: ImapFlow, search: SearchObject): SearchAttribute[] {
  return Object.keys(search).length === 0 ? [atom("ALL")] : searchCompiler(client, search);
}

/** UID SORT: the matching UIDs in the order asked. */
export async function sortUids(
  client: ImapFlow,
  order: ListOrder,
  search: SearchObject,
): Promise<number[]> {
  const key = [...(order.descending ? [atom("REVERSE")] : []), atom(IMAP_KEY[order.sort])];
  const uids: number[] = [];
  await run(client, "UID SORT", [key, atom("UTF-8"), ...criteria(client, search)], "SORT", (line) =>
    numbersIn(line, uids),
  );
  return uids;
}

/** UID THREAD REFERENCES: each conversation's UIDs (in the server's tree order). */
export async function threadUids(client: ImapFlow, search: SearchObject): Promise<number[][]> {
  const threads: number[][] = [];
  await run(
    client,
    "UID THREAD",
    [atom("REFERENCES"), atom("UTF-8"), ...criteria(client, search)],
    "THREAD",
    (line) => {
      for (const thread of line) threads.push(numbersIn(thread, []));
    },
  );
  return threads.filter((t) => t.length > 0);
}

/**
 * Conversations in the list's order: a thread sits where its best-placed message would (its
 * newest when sorting by date, newest first), and its messages are in that order too.
 */
export function orderThreads(threads: number[][], sorted: readonly number[]): number[][] {
  const rank = new Map<number, number>();
  sorted.forEach((uid, i) => rank.set(uid, i));
  const at = (uid: number) => rank.get(uid) ?? Number.MAX_SAFE_INTEGER;
  return threads
    .map((t) => [...t].sort((a, b) => at(a) - at(b)))
    .sort((a, b) => at(a[0] ?? 0) - at(b[0] ?? 0));
}

interface Cache {
  generation: number;
  readonly entries: Map<string, { readonly generation: number; readonly value: unknown }>;
}

const caches = new WeakMap<ImapFlow, Cache>();
/** Orders kept per connection (a few sorts and searches of the folder being read). */
const CACHE_ENTRIES = 8;

/**
 * `compute`'s answer for `key` on the selected mailbox, reused until the mailbox changes: any
 * EXISTS, EXPUNGE or mailbox (re)open on the connection starts a new generation.
 */
export async function cached<T>(
  client: ImapFlow,
  key: string,
  compute: () => Promise<T>,
): Promise<T> {
  let cache = caches.get(client);
  if (cache === undefined) {
    const created: Cache = { generation: 0, entries: new Map() };
    const bump = () => {
      created.generation++;
      created.entries.clear();
    };
    client.on("exists", bump);
    client.on("expunge", bump);
    client.on("mailboxOpen", bump);
    client.on("mailboxClose", bump);
    caches.set(client, created);
    cache = created;
  }
  const full = `${client.mailbox ? client.mailbox.path : ""}\n${key}`;
  const hit = cache.entries.get(full);
  if (hit !== undefined && hit.generation === cache.generation) return hit.value as T;
  const generation = cache.generation;
  const value = await compute();
  if (generation === cache.generation) {
    if (cache.entries.size >= CACHE_ENTRIES) {
      const oldest = cache.entries.keys().next().value;
      if (oldest !== undefined) cache.entries.delete(oldest);
    }
    cache.entries.set(full, { generation, value });
  }
  return value;
}
