/**
 * When each queued message is next due: a binary min-heap on time with lazy deletion (a
 * rescheduled or removed id leaves a stale heap entry that is skipped when it surfaces), so a
 * queue of a million deferred messages costs O(log n) per change, not a scan.
 */
interface Slot {
  readonly at: number;
  readonly id: string;
}

export class Schedule {
  private readonly heap: Slot[] = [];
  private readonly current = new Map<string, number>();

  get size(): number {
    return this.current.size;
  }

  /** Sets (or moves) the due time of `id`. */
  set(id: string, at: number): void {
    if (this.current.get(id) === at) return;
    this.current.set(id, at);
    this.push({ at, id });
  }

  delete(id: string): void {
    this.current.delete(id);
  }

  has(id: string): boolean {
    return this.current.has(id);
  }

  /** The earliest due time, or undefined when nothing is scheduled. */
  peek(): number | undefined {
    this.dropStale();
    return this.heap[0]?.at;
  }

  /** Removes and returns the id of an entry due at or before `now`. */
  takeDue(now: number): string | undefined {
    this.dropStale();
    const top = this.heap[0];
    if (!top || top.at > now) return undefined;
    this.pop();
    this.current.delete(top.id);
    return top.id;
  }

  private dropStale(): void {
    for (let top = this.heap[0]; top && this.current.get(top.id) !== top.at; top = this.heap[0]) {
      this.pop();
    }
  }

  private push(slot: Slot): void {
    const heap = this.heap;
    heap.push(slot);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && heap[left]!.at < heap[smallest]!.at) smallest = left;
      if (right < heap.length && heap[right]!.at < heap[smallest]!.at) smallest = right;
      if (smallest === i) return;
      [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
      i = smallest;
    }
  }
}
