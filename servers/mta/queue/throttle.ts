/**
 * Per-destination concurrency: at most `limit` connections at once to one destination (a remote
 * domain, or the MDA), so a large mailing does not open a hundred connections to one MX and get
 * the sender rate-limited. Waiters are served first come, first served.
 */
export class DestinationThrottle {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly limit: number) {}

  /** Resolves with a release function once a slot for `destination` is free. */
  async acquire(destination: string): Promise<() => void> {
    const count = this.active.get(destination) ?? 0;
    if (count < this.limit) {
      this.active.set(destination, count + 1);
    } else {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(destination) ?? [];
        queue.push(resolve);
        this.waiting.set(destination, queue);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(destination);
    };
  }

  /** Connections open to `destination` right now. */
  inUse(destination: string): number {
    return this.active.get(destination) ?? 0;
  }

  private release(destination: string): void {
    const queue = this.waiting.get(destination);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.waiting.delete(destination);
    if (next) {
      next(); // the slot passes straight to the next waiter
      return;
    }
    const count = (this.active.get(destination) ?? 1) - 1;
    if (count <= 0) this.active.delete(destination);
    else this.active.set(destination, count);
  }
}
