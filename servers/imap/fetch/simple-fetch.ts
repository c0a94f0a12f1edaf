/**
 * The common case of FETCH over many messages: only FLAGS, UID, MODSEQ, RFC822.SIZE and
 * INTERNALDATE, all ASCII and known from the summary. Each response is written as text
 * directly, without a value tree per message, which keeps a `UID FETCH 1:* (FLAGS)` over
 * 100,000 messages well under a second (and the garbage collector quiet).
 */
import type { MessageSummary } from "../../store/index.ts";
import { formatInternalDate } from "../protocol/date-time.ts";
import type { FetchItem } from "./fetch-items.ts";

const SIMPLE = new Set<FetchItem["kind"]>([
  "FLAGS",
  "UID",
  "MODSEQ",
  "RFC822.SIZE",
  "INTERNALDATE",
]);

export function isSimpleFetch(items: readonly FetchItem[]): boolean {
  return items.every((i) => SIMPLE.has(i.kind));
}

/** `* seq FETCH (...)\r\n` for a simple fetch; `flags` is the flag list's text. */
export function simpleFetchLine(
  seq: number,
  summary: MessageSummary,
  items: readonly FetchItem[],
  flags: string,
): string {
  let line = `* ${seq} FETCH (`;
  items.forEach((item, i) => {
    if (i > 0) line += " ";
    switch (item.kind) {
      case "FLAGS":
        line += `FLAGS (${flags})`;
        break;
      case "UID":
        line += `UID ${summary.uid}`;
        break;
      case "MODSEQ":
        line += `MODSEQ (${summary.modseq})`;
        break;
      case "RFC822.SIZE":
        line += `RFC822.SIZE ${summary.size}`;
        break;
      case "INTERNALDATE":
        line += `INTERNALDATE "${formatInternalDate(summary.internalDate)}"`;
        break;
      default:
        throw new Error(`not a simple FETCH item: ${item.kind}`);
    }
  });
  return `${line})\r\n`;
}
