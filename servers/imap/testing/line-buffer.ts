/** Server output cut into lines for tests, with waiting and timeouts. */
export class LineBuffer {
  #text = "";
  /** Read position in #text (compacted now and then, so reading many lines stays linear). */
  #pos = 0;
  #closed = false;
  #waiters: (() => void)[] = [];

  push(chunk: Buffer | string): void {
    if (this.#pos > 65536 && this.#pos > this.#text.length / 2) {
      this.#text = this.#text.slice(this.#pos);
      this.#pos = 0;
    }
    this.#text += typeof chunk === "string" ? chunk : chunk.toString("latin1");
    this.#wake();
  }

  end(): void {
    this.#closed = true;
    this.#wake();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** What arrived and was not read yet. */
  pending(): string {
    return this.#text.slice(this.#pos);
  }

  async nextLine(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.#text.indexOf("\r\n", this.#pos);
      if (at >= 0) {
        const line = this.#text.slice(this.#pos, at);
        this.#pos = at + 2;
        return Buffer.from(line, "latin1").toString("utf8");
      }
      const unread = JSON.stringify(this.pending().slice(0, 2000));
      if (this.#closed) throw new Error(`connection closed; unread: ${unread}`);
      if (Date.now() >= deadline)
        throw new Error(`no line within ${timeoutMs} ms; unread: ${unread}`);
      await this.#wait(deadline - Date.now());
    }
  }

  /** Reads `n` raw bytes (a literal's content). */
  async take(n: number, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.#text.length - this.#pos < n) {
      if (this.#closed || Date.now() >= deadline) throw new Error("literal not received");
      await this.#wait(deadline - Date.now());
    }
    const out = this.#text.slice(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed) {
      if (Date.now() >= deadline) throw new Error("connection not closed");
      await this.#wait(deadline - Date.now());
    }
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(1, ms));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.push(done);
    });
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
