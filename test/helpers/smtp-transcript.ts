/**
 * A bare SMTP/LMTP client for transcript tests: one line per exchange, the expected reply code
 * beside it, on a real socket (TCP or Unix). It reads multi-line replies ("250-...") whole.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";

export interface SmtpReply {
  readonly code: number;
  /** Every line of the reply, without the code and separator. */
  readonly lines: readonly string[];
  readonly text: string;
}

export class SmtpTranscript {
  readonly #socket: Socket;
  #buffer = "";
  readonly #waiters: (() => void)[] = [];
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      this.#waiters.splice(0).forEach((w) => w());
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#waiters.splice(0).forEach((w) => w());
    });
    socket.on("error", () => undefined);
  }

  static async open(
    target: { port: number; host?: string } | { path: string },
  ): Promise<SmtpTranscript> {
    const socket = connect(target as never);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new SmtpTranscript(socket);
  }

  /** Reads one whole reply. */
  async reply(timeoutMs = 10_000): Promise<SmtpReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.#buffer.split("\r\n");
      const last = lines.findIndex((l) => /^\d{3}( |$)/.test(l));
      if (last !== -1 && last < lines.length - 1) {
        const replyLines = lines.slice(0, last + 1);
        this.#buffer = lines.slice(last + 1).join("\r\n");
        const code = Number(replyLines[last]?.slice(0, 3));
        const texts = replyLines.map((l) => l.slice(4));
        return { code, lines: texts, text: texts.join("\n") };
      }
      if (this.#closed)
        throw new Error(`connection closed; unread: ${JSON.stringify(this.#buffer)}`);
      if (Date.now() > deadline)
        throw new Error(`no reply in time; unread: ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** Expects a reply with this code (and text matching `pattern`), returns it. */
  async expect(code: number, pattern?: RegExp): Promise<SmtpReply> {
    const reply = await this.reply();
    assert.equal(reply.code, code, `expected ${code}, got ${reply.code} ${reply.text}`);
    if (pattern) assert.match(reply.text, pattern);
    return reply;
  }

  /** Sends one command line and expects its reply. */
  async send(line: string, code: number, pattern?: RegExp): Promise<SmtpReply> {
    this.write(`${line}\r\n`);
    return this.expect(code, pattern);
  }

  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  close(): void {
    this.#socket.destroy();
  }
}
