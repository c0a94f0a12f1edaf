/**
 * The Received chain (RFC 5321 §4.4), newest on top. Two forgeries show in it:
 *
 * - a hop that claims to be our own host (`by <our hostname>`) below our own line: we did not
 *   handle the message before, so somebody wrote that line to look trusted;
 * - dates that run backwards: each hop stamps its own clock, so a lower (earlier) line dated
 *   more than a day after a higher one was made up (clock skew is minutes, not days).
 */
import { parseRfc5322Date } from "../../store/mime/date.ts";
import type { Analyzer } from "./context.ts";

const DISORDER_SLACK_MS = 24 * 3600 * 1000;
/** Received lines looked at; a longer chain is a loop or a forgery in itself. */
const MAX_HOPS = 30;

export const receivedAnalyzer: Analyzer = {
  name: "received",
  run(ctx) {
    const lines = ctx.message.headers("received").slice(0, MAX_HOPS);
    const host = ctx.config.hostname.toLowerCase();
    const byUs = (line: string): boolean => byHost(line) === host;
    // Our own line, when the MTA added it before asking, is the topmost one.
    const below = lines.length > 0 && byUs(lines[0] ?? "") ? lines.slice(1) : lines;
    const forged = below.find(byUs);
    if (forged !== undefined) ctx.add("RECEIVED_FORGED_HOP", forged.slice(0, 80));

    let newer: number | undefined;
    for (const line of lines) {
      const time = receivedTime(line);
      if (time === undefined) continue;
      if (newer !== undefined && time > newer + DISORDER_SLACK_MS) {
        ctx.add(
          "RECEIVED_DATE_DISORDER",
          line
            .slice(line.lastIndexOf(";") + 1)
            .trim()
            .slice(0, 40),
        );
        break;
      }
      newer = newer === undefined ? time : Math.min(newer, time);
    }
  },
};

/** The host of the `by` clause, lowercase. */
export function byHost(line: string): string | undefined {
  return /(?:^|\s)by\s+([^\s;()]+)/i.exec(line)?.[1]?.toLowerCase().replace(/\.$/, "");
}

/** The date after the last ";" (RFC 5321 §4.4 Time-stamp-line). */
export function receivedTime(line: string): number | undefined {
  const semicolon = line.lastIndexOf(";");
  if (semicolon < 0) return undefined;
  return parseRfc5322Date(line.slice(semicolon + 1))?.time;
}
