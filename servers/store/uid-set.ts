/** UID sets as sorted, merged ranges, with membership by binary search. */
import type { UidSet } from "./types.ts";

/** Sorts and merges ranges (and swaps reversed ones: "5:1" means 1:5, RFC 9051 §9). */
export function normalizeUidSet(set: UidSet): [number, number][] {
  const ranges = set
    .map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a]))
    .sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const range of ranges) {
    const last = out.at(-1);
    if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
    else out.push([range[0], range[1]]);
  }
  return out;
}

export function inUidSet(ranges: readonly (readonly [number, number])[], uid: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const range = ranges[mid];
    if (!range) return false;
    if (uid < range[0]) hi = mid - 1;
    else if (uid > range[1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** A UID set from a list of UIDs, as compact ranges. */
export function uidSetOf(uids: Iterable<number>): [number, number][] {
  return normalizeUidSet([...uids].map((u): [number, number] => [u, u]));
}
