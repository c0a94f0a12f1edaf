/**
 * The bytes received and not yet framed, as a list of chunks: appending never copies, so a
 * 64 MiB literal arriving in 64 KiB pieces costs one copy into its final buffer, not thousands.
 */
export class ByteQueue {
  #chunks: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Index of the first `byte` at or after `from`, or -1. */
  indexOf(byte: number, from = 0): number {
    let base = 0;
    for (const chunk of this.#chunks) {
      if (from < base + chunk.length) {
        const at = chunk.indexOf(byte, Math.max(0, from - base));
        if (at >= 0) return base + at;
      }
      base += chunk.length;
    }
    return -1;
  }

  /** Removes and returns the first `n` bytes (n <= length). */
  take(n: number): Buffer {
    const first = this.#chunks[0];
    if (first && first.length >= n) {
      this.#consume(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    this.copyInto(out, 0, n);
    return out;
  }

  /** Moves up to `n` bytes into `target` at `offset`; returns how many were moved. */
  copyInto(target: Buffer, offset: number, n: number): number {
    let moved = 0;
    while (moved < n && this.#chunks.length > 0) {
      const chunk = this.#chunks[0] as Buffer;
      const count = Math.min(chunk.length, n - moved);
      chunk.copy(target, offset + moved, 0, count);
      moved += count;
      this.#consume(count);
    }
    return moved;
  }

  /** Drops up to `n` bytes; returns how many were dropped. */
  drop(n: number): number {
    let dropped = 0;
    while (dropped < n && this.#chunks.length > 0) {
      const count = Math.min((this.#chunks[0] as Buffer).length, n - dropped);
      this.#consume(count);
      dropped += count;
    }
    return dropped;
  }

  /** Everything still queued, removed. */
  drain(): Buffer {
    const out = Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [];
    this.#length = 0;
    return out;
  }

  #consume(n: number): void {
    const first = this.#chunks[0] as Buffer;
    if (n === first.length) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#length -= n;
  }
}
