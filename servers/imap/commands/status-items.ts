/**
 * STATUS data items (RFC 9051 §6.3.11; SIZE from RFC 8438, HIGHESTMODSEQ from RFC 7162, DELETED
 * from RFC 9051, DELETED-STORAGE from RFC 9208 §4.2, RECENT from RFC 3501, APPENDLIMIT from
 * RFC 7889 §4), shared by STATUS and LIST's RETURN (STATUS ...) (RFC 5819).
 */
import type { Account, MailboxStatus } from "../../store/index.ts";
import { MAX_APPEND_LITERAL_BYTES } from "../limits.ts";
import { bad } from "../protocol/errors.ts";
import { atom, type Value } from "../protocol/serializer.ts";
import { keyword, type Token } from "../protocol/tokens.ts";

const COUNTERS = {
  MESSAGES: (s: MailboxStatus) => s.messages,
  RECENT: (s: MailboxStatus) => s.recent,
  UIDNEXT: (s: MailboxStatus) => s.uidNext,
  UIDVALIDITY: (s: MailboxStatus) => s.uidValidity,
  UNSEEN: (s: MailboxStatus) => s.unseen,
  DELETED: (s: MailboxStatus) => s.deleted,
  SIZE: (s: MailboxStatus) => s.size,
  HIGHESTMODSEQ: (s: MailboxStatus) => s.highestModseq,
  // The same for every mailbox: the largest APPEND literal, as the capability says.
  APPENDLIMIT: () => MAX_APPEND_LITERAL_BYTES,
} as const;

export type StatusItem = keyof typeof COUNTERS | "DELETED-STORAGE";

export function statusItems(tokens: readonly Token[]): StatusItem[] {
  if (tokens.length === 0) throw bad("STATUS needs at least one item");
  return tokens.map((token) => {
    const name = keyword(token, "status item");
    if (!(name in COUNTERS) && name !== "DELETED-STORAGE") throw bad(`Unknown status item ${name}`);
    return name as StatusItem;
  });
}

/** RFC 9208: what EXPUNGE would free, in units of 1024 octets (rounded up). */
async function deletedStorage(account: Account, status: MailboxStatus): Promise<number> {
  if (status.deleted === 0) return 0;
  const view = await account.openMailbox(status.id);
  const uids = await view.search([{ type: "flag", flag: "\\Deleted", set: true }]);
  const summaries = await view.list(uids.map((u): [number, number] => [u, u]));
  return Math.ceil(summaries.reduce((sum, m) => sum + m.size, 0) / 1024);
}

export async function statusValues(
  account: Account,
  status: MailboxStatus,
  items: readonly StatusItem[],
): Promise<Value[]> {
  const out: Value[] = [];
  for (const item of items) {
    const value =
      item === "DELETED-STORAGE" ? await deletedStorage(account, status) : COUNTERS[item](status);
    out.push(atom(item), value);
  }
  return out;
}
