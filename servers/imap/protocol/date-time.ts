/**
 * IMAP dates (RFC 9051 §9): date-time `"17-Jul-1996 02:44:25 -0700"` for INTERNALDATE and
 * APPEND, and date `1-Feb-1994` for SEARCH.
 */
import type { Day, InternalDate } from "../../store/index.ts";
import { bad } from "./errors.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** `dd-Mon-yyyy hh:mm:ss +zzzz` in the zone the date was given in. */
export function formatInternalDate(date: InternalDate): string {
  const local = new Date(date.time + date.zoneMinutes * 60_000);
  const zone = Math.abs(date.zoneMinutes);
  const sign = date.zoneMinutes < 0 ? "-" : "+";
  return (
    `${pad(local.getUTCDate())}-${MONTHS[local.getUTCMonth()]}-${local.getUTCFullYear()} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ` +
    `${sign}${pad(Math.floor(zone / 60))}${pad(zone % 60)}`
  );
}

function month(name: string): number {
  const index = MONTHS.findIndex((m) => m.toLowerCase() === name.toLowerCase());
  if (index < 0) throw bad("Invalid month in date");
  return index + 1;
}

const DATE_TIME =
  /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** RFC 9051 date-time, as APPEND gives it. */
export function parseDateTime(text: string): InternalDate {
  const m = DATE_TIME.exec(text);
  if (!m) throw bad("Invalid date-time");
  const [, d, mon, y, hh, mm, ss, sign, zh, zm] = m as unknown as string[];
  const zoneMinutes = (sign === "-" ? -1 : 1) * (Number(zh) * 60 + Number(zm));
  const day = Number(d);
  const monthNumber = month(mon as string);
  const local = Date.UTC(Number(y), monthNumber - 1, day, Number(hh), Number(mm), Number(ss));
  const check = new Date(local);
  if (check.getUTCDate() !== day || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 60) {
    throw bad("Invalid date-time");
  }
  return { time: local - zoneMinutes * 60_000, zoneMinutes };
}

/** RFC 9051 date (SEARCH BEFORE/ON/SINCE...). */
export function parseDate(text: string): Day {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  if (!m) throw bad("Invalid date");
  const day = Number(m[1]);
  const result = { year: Number(m[3]), month: month(m[2] as string), day };
  const check = new Date(Date.UTC(result.year, result.month - 1, day));
  if (check.getUTCDate() !== day) throw bad("Invalid date");
  return result;
}
