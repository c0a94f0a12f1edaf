/**
 * POP3 transcripts for tests: one line per exchange, the expected status beside it. The same
 * reader runs over a real socket (SocketTranscript: TCP, implicit TLS, STLS upgrade) and over a
 * session core without any socket (MemoryTranscript), so unit and integration tests read alike.
 */
import assert from "node:assert/strict";
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls, type TLSSocket } from "node:tls";
import type { SessionDependencies } from "../command.ts";
import { Pop3Session, type SessionOptions, type Transport } from "../session.ts";

export type Status = "+OK" | "-ERR";

export abstract class Pop3Transcript {
  #buffer = "";
  /** Where unread text starts in #buffer (slicing a 6 MiB string per line would be quadratic). */
  #offset = 0;
  #closed = false;
  readonly #waiters: (() => void)[] = [];

  /** Bytes sent by the server, as latin1 text. */
  protected received(text: string): void {
    if (this.#offset > 0) {
      this.#buffer = this.#buffer.slice(this.#offset);
      this.#offset = 0;
    }
    this.#buffer += text;
    this.#waiters.splice(0).forEach((w) => w());
  }

  protected ended(): void {
    this.#closed = true;
    this.#waiters.splice(0).forEach((w) => w());
  }

  /** The server closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  abstract write(data: string | Buffer): void;
  abstract close(): void;

  /** The next line the server sent, without CRLF. */
  async line(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.#buffer.indexOf("\r\n", this.#offset);
      if (end !== -1) {
        const line = this.#buffer.slice(this.#offset, end);
        this.#offset = end + 2;
        return line;
      }
      const unread = JSON.stringify(this.#buffer.slice(this.#offset, this.#offset + 200));
      if (this.#closed) throw new Error(`closed; unread: ${unread}`);
      if (Date.now() > deadline) throw new Error(`no line in time; unread: ${unread}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Expects a status line with this status (and text matching `pattern`); returns its text. */
  async expect(status: Status, pattern?: RegExp): Promise<string> {
    const line = await this.line();
    assert.ok(line.startsWith(status), `expected ${status}, got ${JSON.stringify(line)}`);
    const text = line.slice(status.length).trimStart();
    if (pattern) assert.match(text, pattern);
    return text;
  }

  /** Sends one line and expects its status line. */
  async send(line: string, status: Status, pattern?: RegExp): Promise<string> {
    this.write(`${line}\r\n`);
    return this.expect(status, pattern);
  }

  /** Reads a multi-line body up to ".", un-stuffed (RFC 1939 §3). */
  async body(): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.line();
      if (line === ".") return lines;
      lines.push(line.startsWith(".") ? line.slice(1) : line);
    }
  }

  /** Sends a command expecting "+OK" and a multi-line body; returns the body. */
  async sendMulti(line: string, pattern?: RegExp): Promise<string[]> {
    await this.send(line, "+OK", pattern);
    return this.body();
  }

  /** Waits until the server has closed the connection. */
  async closedByServer(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed) {
      if (Date.now() > deadline) throw new Error("the server did not close the connection");
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Logs in with USER/PASS and expects success. */
  async login(user: string, password: string): Promise<string> {
    await this.send(`USER ${user}`, "+OK");
    return this.send(`PASS ${password}`, "+OK");
  }
}

/** A session core driven in memory: what it writes is what the transcript reads. */
export class MemoryTranscript extends Pop3Transcript {
  readonly session: Pop3Session;
  /** How often the session asked the transport to start TLS. */
  tlsStarts = 0;
  paused = false;

  private constructor(deps: SessionDependencies, options: SessionOptions) {
    super();
    const transport: Transport = {
      write: (data) => {
        if (!this.closed) this.received(Buffer.from(data).toString("latin1"));
        return Promise.resolve();
      },
      startTls: (reply) => {
        this.tlsStarts++;
        this.received(Buffer.from(reply).toString("latin1"));
        return Promise.resolve();
      },
      pause: () => {
        this.paused = true;
      },
      resume: () => {
        this.paused = false;
      },
      close: () => {
        this.ended();
        this.session.end();
      },
    };
    this.session = new Pop3Session(deps, options, transport);
  }

  /** A session with its greeting read; cleartext port with STLS unless told otherwise. */
  static async open(
    deps: SessionDependencies,
    options: Partial<SessionOptions> = {},
  ): Promise<MemoryTranscript> {
    const transcript = new MemoryTranscript(deps, {
      remoteAddress: "192.0.2.1",
      implicitTls: false,
      stls: true,
      ...options,
    });
    await transcript.session.start();
    await transcript.expect("+OK", /POP3 server ready/);
    return transcript;
  }

  write(data: string | Buffer): void {
    this.session.receive(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** The client hangs up without QUIT. */
  close(): void {
    this.ended();
    this.session.end();
  }
}

/** A real loopback connection: TCP, implicit TLS, or TCP upgraded with STLS. */
export class SocketTranscript extends Pop3Transcript {
  #socket: Socket;

  private constructor(socket: Socket) {
    super();
    this.#socket = socket;
    this.#listen(socket);
  }

  #listen(socket: Socket): void {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => this.received(chunk));
    socket.on("close", () => this.ended());
    socket.on("error", () => undefined);
  }

  static async open(port: number, tls?: { ca: string }): Promise<SocketTranscript> {
    const socket: Socket = tls
      ? connectTls({ host: "127.0.0.1", port, ca: tls.ca, servername: "localhost" })
      : connectTcp({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => {
      socket.once(tls ? "secureConnect" : "connect", () => resolve());
      socket.once("error", reject);
    });
    return new SocketTranscript(socket);
  }

  /** After "+OK" to STLS: the TLS handshake over the same connection, checking the chain. */
  async upgrade(ca: string): Promise<TLSSocket> {
    const plain = this.#socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("close");
    const secure = connectTls({ socket: plain, ca, servername: "localhost" });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    this.#socket = secure;
    this.#listen(secure);
    return secure;
  }

  get socket(): Socket {
    return this.#socket;
  }

  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  close(): void {
    this.#socket.destroy();
  }
}
