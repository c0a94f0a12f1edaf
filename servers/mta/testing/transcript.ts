/**
 * A transcript client that can do TLS: STARTTLS in the middle of a session, or implicit TLS from
 * the first byte (port 465). One line per exchange, the expected code beside it, as
 * test/helpers/smtp-transcript.ts does for plain sessions.
 */
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";

export interface Reply {
  readonly code: number;
  readonly lines: readonly string[];
  readonly text: string;
}

export class Transcript {
  #socket: Socket | TLSSocket;
  #buffer = "";
  #closed = false;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket | TLSSocket) {
    this.#socket = socket;
    this.#attach(socket);
  }

  static async open(options: {
    port: number;
    /** Implicit TLS, trusting this CA (PEM). */
    tlsCa?: string;
    /** Connect from this address (any of 127.0.0.0/8 on loopback): another client. */
    localAddress?: string;
  }): Promise<Transcript> {
    const from = options.localAddress ? { localAddress: options.localAddress } : {};
    const socket = options.tlsCa
      ? tlsConnect({
          port: options.port,
          host: "127.0.0.1",
          servername: "mail.example.test",
          ca: options.tlsCa,
          ...from,
        })
      : netConnect({ port: options.port, host: "127.0.0.1", ...from });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tlsCa ? "secureConnect" : "connect", () => resolve());
      socket.once("error", reject);
    });
    return new Transcript(socket);
  }

  /** Upgrades after a `220` to STARTTLS, trusting `ca`. */
  async startTls(ca: string): Promise<TLSSocket> {
    this.#socket.removeAllListeners("data");
    this.#socket.removeAllListeners("close");
    const secure = tlsConnect({ socket: this.#socket, servername: "mail.example.test", ca });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", resolve);
      secure.once("error", reject);
    });
    this.#socket = secure;
    this.#attach(secure);
    return secure;
  }

  async reply(timeoutMs = 10_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.#buffer.split("\r\n");
      const last = lines.findIndex((l) => /^\d{3}( |$)/.test(l));
      if (last !== -1 && last < lines.length - 1) {
        const replyLines = lines.slice(0, last + 1);
        this.#buffer = lines.slice(last + 1).join("\r\n");
        const texts = replyLines.map((l) => l.slice(4));
        return {
          code: Number(replyLines[last]?.slice(0, 3)),
          lines: texts,
          text: texts.join("\n"),
        };
      }
      if (this.#closed)
        throw new Error(`connection closed; unread: ${JSON.stringify(this.#buffer)}`);
      if (Date.now() > deadline)
        throw new Error(`no reply in time; unread: ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async expect(code: number, pattern?: RegExp): Promise<Reply> {
    const reply = await this.reply();
    assert.equal(reply.code, code, `expected ${code}, got ${reply.code} ${reply.text}`);
    if (pattern) assert.match(reply.text, pattern);
    return reply;
  }

  async send(line: string, code: number, pattern?: RegExp): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.expect(code, pattern);
  }

  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  /** Resolves once the server has closed the connection. */
  async closedByServer(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed) {
      if (Date.now() > deadline) throw new Error("the server kept the connection open");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    this.#socket.destroy();
  }

  #attach(socket: Socket | TLSSocket): void {
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
}

/** RFC 4616 PLAIN initial response. */
export function plain(login: string, password: string, authzid = ""): string {
  return Buffer.from(`${authzid}\0${login}\0${password}`).toString("base64");
}

export function b64(text: string): string {
  return Buffer.from(text).toString("base64");
}
