/**
 * MODSEQ allocation (RFC 7162 §3.1.1): one counter per account, taken inside the write
 * transaction, so every change gets a value greater than all before it in every mailbox.
 */
import type { Database } from "./database.ts";

export function nextModseq(d: Database): number {
  const row = d.stmt("UPDATE account SET modseq = modseq + 1 RETURNING modseq").get() as {
    modseq: number;
  };
  return row.modseq;
}
