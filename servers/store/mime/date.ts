/**
 * RFC 5322 §3.3 dates, obsolete forms included (§4.3: two-digit years, named zones, missing
 * seconds or weekday), for SENT* searches and SORT DATE.
 */

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** §4.3 obs-zone; military zones other than Z are too unreliable to use and count as +0000. */
const ZONES: Record<string, number> = {
  ut: 0,
  gmt: 0,
  z: 0,
  edt: -4 * 60,
  est: -5 * 60,
  cdt: -5 * 60,
  cst: -6 * 60,
  mdt: -6 * 60,
  mst: -7 * 60,
  pdt: -7 * 60,
  pst: -8 * 60,
};

export interface ParsedDate {
  readonly time: number;
  readonly zoneMinutes: number;
}

export function parseRfc5322Date(value: string | null): ParsedDate | null {
  if (value === null) return null;
  const text = value.replace(/\([^)]*\)/g, " ").trim();
  const match =
    /^(?:[A-Za-z]+\s*,?\s*)?(\d{1,2})\s*[- ]\s*([A-Za-z]{3})[a-z]*\s*[- ]\s*(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]+)?/.exec(
      text,
    );
  if (!match) return null;
  const month = MONTHS.indexOf((match[2] ?? "").toLowerCase());
  if (month < 0) return null;
  let year = Number(match[3]);
  // §4.3: two-digit years below 50 are 20xx, others 19xx; three digits add 1900.
  if ((match[3] ?? "").length === 2) year += year < 50 ? 2000 : 1900;
  else if ((match[3] ?? "").length === 3) year += 1900;
  const zone = match[7];
  let zoneMinutes = 0;
  if (zone && /^[+-]\d{4}$/.test(zone)) {
    const sign = zone.startsWith("-") ? -1 : 1;
    zoneMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  } else if (zone) {
    zoneMinutes = ZONES[zone.toLowerCase()] ?? 0;
  }
  const local = Date.UTC(
    year,
    month,
    Number(match[1]),
    Number(match[4]),
    Number(match[5]),
    Number(match[6] ?? 0),
  );
  if (Number.isNaN(local)) return null;
  return { time: local - zoneMinutes * 60_000, zoneMinutes };
}

/** The day number (days since the epoch) of a time in its own zone, as IMAP date search uses. */
export function dayNumber(time: number, zoneMinutes: number): number {
  return Math.floor((time + zoneMinutes * 60_000) / 86_400_000);
}
