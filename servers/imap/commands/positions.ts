/** Splitting a selection into batches for the store, each batch a few contiguous runs. */
import type { Positions } from "../session/message-view.ts";

/** Batches of at most `size` positions, in order. */
export function* chunkPositions(positions: Positions, size: number): Generator<Positions> {
  let batch: [number, number][] = [];
  let count = 0;
  for (const [start, end] of positions) {
    let from = start;
    while (from <= end) {
      const to = Math.min(end, from + (size - count) - 1);
      batch.push([from, to]);
      count += to - from + 1;
      from = to + 1;
      if (count >= size) {
        yield batch;
        batch = [];
        count = 0;
      }
    }
  }
  if (batch.length > 0) yield batch;
}
