/**
 * STORE (RFC 9051 §6.4.6) with CONDSTORE's UNCHANGEDSINCE (RFC 7162 §3.1.3). A message whose
 * flags really change gets the operation's new MODSEQ; one whose flags stay the same keeps its
 * MODSEQ, so clients do not resynchronise what did not change.
 */
import { DELETED, SEEN, joinKeywords, parseKeywords, splitFlags } from "../flags.ts";
import type { FlagOperation, StoreFlagsOptions, StoreFlagsResult, UidSet } from "../types.ts";
import type { Database } from "./database.ts";
import { resolveKeywords } from "./keywords.ts";
import { adjustMailbox, selectRows } from "./message-rows.ts";
import { requireMailbox } from "./mailboxes.ts";
import { nextModseq } from "./modseq.ts";
import { toSummary } from "./read.ts";

function applyKeywords(
  current: readonly string[],
  operation: FlagOperation,
  given: readonly string[],
): string[] {
  if (operation === "replace") return [...given];
  const lower = new Set(given.map((k) => k.toLowerCase()));
  if (operation === "remove") return current.filter((k) => !lower.has(k.toLowerCase()));
  const have = new Set(current.map((k) => k.toLowerCase()));
  return [...current, ...given.filter((k) => !have.has(k.toLowerCase()))];
}

export function storeFlags(
  d: Database,
  mailboxId: number,
  uids: UidSet,
  operation: FlagOperation,
  flags: readonly string[],
  options: StoreFlagsOptions,
): StoreFlagsResult {
  const split = splitFlags(flags);
  return d.write(() => {
    requireMailbox(d, mailboxId);
    // Adding or replacing registers the keywords; removing must not invent spellings.
    const given = operation === "remove" ? split.keywords : resolveKeywords(d, split.keywords);
    const rows = selectRows(d, mailboxId, uids);
    const messages: StoreFlagsResult["messages"][number][] = [];
    const modified: number[] = [];
    let modseq: number | undefined;
    const delta = { unseen: 0, deleted: 0 };
    const update = d.stmt(
      "UPDATE messages SET flags = ?, keywords = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?",
    );
    for (const row of rows) {
      if (options.unchangedSince !== undefined && row.modseq > options.unchangedSince) {
        modified.push(row.uid);
        continue;
      }
      const bits =
        operation === "replace"
          ? split.bits
          : operation === "add"
            ? row.flags | split.bits
            : row.flags & ~split.bits;
      const keywords = joinKeywords(applyKeywords(parseKeywords(row.keywords), operation, given));
      if (bits === row.flags && keywords === row.keywords) {
        messages.push({ ...toSummary(row), changed: false });
        continue;
      }
      modseq ??= nextModseq(d);
      update.run(bits, keywords, modseq, mailboxId, row.uid);
      delta.unseen += (bits & SEEN ? 0 : 1) - (row.flags & SEEN ? 0 : 1);
      delta.deleted += (bits & DELETED ? 1 : 0) - (row.flags & DELETED ? 1 : 0);
      messages.push({ ...toSummary({ ...row, flags: bits, keywords, modseq }), changed: true });
    }
    if (modseq !== undefined) adjustMailbox(d, mailboxId, delta, modseq);
    return { messages, modified };
  });
}
