/**
 * A session's view of the selected mailbox: the UIDs the client knows, in sequence order
 * (RFC 9051 §2.3.1.2: sequence numbers are positions in this list). It changes only when the
 * session tells the client (EXISTS appends, EXPUNGE/VANISHED removes), never under its feet.
 *
 * Sets resolve to index ranges, so "1:*" over 100,000 messages is one range, not a list.
 */
import type { UidSet } from "../../store/index.ts";
import { bad } from "../protocol/errors.ts";
import type { SequenceSet } from "../protocol/sequence-set.ts";

/** Inclusive ranges of 0-based positions in the view, sorted and merged. */
export type Positions = readonly (readonly [number, number])[];

export class MessageView {
  #uids: number[];

  constructor(uids: readonly number[]) {
    this.#uids = [...uids];
  }

  get count(): number {
    return this.#uids.length;
  }

  /** The largest UID in the view, 0 when empty. */
  get maxUid(): number {
    return this.#uids.at(-1) ?? 0;
  }

  uidAt(position: number): number {
    const uid = this.#uids[position];
    if (uid === undefined) throw new RangeError(`no message at position ${position}`);
    return uid;
  }

  /** 1-based sequence number of a UID, or undefined when the view lacks it. */
  seqOf(uid: number): number | undefined {
    const i = this.#lowerBound(uid);
    return this.#uids[i] === uid ? i + 1 : undefined;
  }

  has(uid: number): boolean {
    return this.seqOf(uid) !== undefined;
  }

  /** New messages the client is being told about (EXISTS); UIDs above every known one. */
  append(uids: readonly number[]): void {
    for (const uid of uids) if (uid > this.maxUid) this.#uids.push(uid);
  }

  /** Removes UIDs (EXPUNGE/VANISHED was sent); returns their former 1-based numbers, descending. */
  remove(uids: ReadonlySet<number>): number[] {
    const seqs: number[] = [];
    this.#uids.forEach((uid, i) => {
      if (uids.has(uid)) seqs.push(i + 1);
    });
    if (seqs.length > 0) this.#uids = this.#uids.filter((uid) => !uids.has(uid));
    return seqs.reverse();
  }

  /**
   * Positions named by a sequence set (`uid` false) or UID set (`uid` true). "*" is the last
   * message; a UID range past the end still includes the last message (RFC 9051 §9, "559:*").
   * Message numbers beyond the view are a client error (RFC 9051 §7.1.3 BAD).
   */
  resolve(
    set: SequenceSet,
    uid: boolean,
    saved?: readonly number[],
    options: { clip?: boolean } = {},
  ): Positions {
    if (set.kind === "saved") {
      if (!saved) return [];
      return this.positionsOfUids(saved);
    }
    const out: [number, number][] = [];
    for (const [a, b] of set.ranges) {
      if (uid) {
        const max = this.maxUid;
        const lo = Math.min(a === "*" ? max : a, b === "*" ? max : b);
        const hi = Math.max(a === "*" ? max : a, b === "*" ? max : b);
        const start = this.#lowerBound(lo);
        const end = this.#lowerBound(hi + 1) - 1;
        if (start <= end) out.push([start, end]);
      } else {
        const n = this.count;
        let first = a === "*" ? n : a;
        let last = b === "*" ? n : b;
        if (first > last) [first, last] = [last, first];
        if (options.clip) {
          // SEARCH is lenient: numbers past the end match nothing.
          last = Math.min(last, n);
          if (first <= last) out.push([first - 1, last - 1]);
          continue;
        }
        if (last > n || n === 0) throw bad("Invalid message sequence number");
        out.push([first - 1, last - 1]);
      }
    }
    return merge(out);
  }

  /** Positions of those UIDs that are in the view. */
  positionsOfUids(uids: Iterable<number>): Positions {
    const out: [number, number][] = [];
    for (const uid of uids) {
      const seq = this.seqOf(uid);
      if (seq !== undefined) out.push([seq - 1, seq - 1]);
    }
    return merge(out);
  }

  /** The UIDs at these positions, ascending. */
  uidsAt(positions: Positions): number[] {
    const out: number[] = [];
    for (const [start, end] of positions) {
      for (let i = start; i <= end; i++) out.push(this.#uids[i] as number);
    }
    return out;
  }

  /**
   * The same messages as a store UID set. A run of consecutive positions is one UID range:
   * every stored message between two UIDs of the view is in the view.
   */
  uidSet(positions: Positions): UidSet {
    return positions.map(([start, end]) => [
      this.#uids[start] as number,
      this.#uids[end] as number,
    ]);
  }

  /** Index of the first UID >= uid. */
  #lowerBound(uid: number): number {
    let lo = 0;
    let hi = this.#uids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#uids[mid] as number) < uid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function merge(ranges: [number, number][]): Positions {
  ranges.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const range of ranges) {
    const last = out.at(-1);
    if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
    else out.push([range[0], range[1]]);
  }
  return out;
}

export function positionCount(positions: Positions): number {
  return positions.reduce((n, [start, end]) => n + end - start + 1, 0);
}
