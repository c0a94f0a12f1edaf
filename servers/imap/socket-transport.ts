/**
 * The session core's Transport on a real socket: writes coalesced per tick (cork/uncork), the
 * STARTTLS upgrade of the same socket, and COMPRESS=DEFLATE (RFC 4978) as raw deflate with a
 * sync flush after each burst of writes, so every response reaches the client whole.
 */
import type { Socket } from "node:net";
import { TLSSocket, type SecureContext } from "node:tls";
import {
  constants,
  createDeflateRaw,
  createInflateRaw,
  type DeflateRaw,
  type InflateRaw,
} from "node:zlib";
import type { Transport } from "./session/transport.ts";

/** A connection that does not finish closing in this time is destroyed. */
const CLOSE_TIMEOUT_MS = 5000;

export interface SocketTransportOptions {
  readonly secure: boolean;
  /** For STARTTLS: the context to upgrade with (undefined when not offered). */
  readonly secureContext: (() => SecureContext) | undefined;
  /** Bytes from the client (after TLS and inflate). */
  readonly onData: (chunk: Buffer) => void;
  readonly onError: (error: Error) => void;
}

export class SocketTransport implements Transport {
  #stream: Socket;
  #secure: boolean;
  #deflate: DeflateRaw | undefined;
  #inflate: InflateRaw | undefined;
  #corked = false;
  #flushScheduled = false;
  #closing = false;
  readonly #raw: Socket;
  readonly #listener = (chunk: Buffer): void => this.#incoming(chunk);

  constructor(
    socket: Socket,
    private readonly options: SocketTransportOptions,
  ) {
    this.#raw = socket;
    this.#stream = socket;
    this.#secure = options.secure;
    socket.on("data", this.#listener);
  }

  get remoteAddress(): string {
    return this.#raw.remoteAddress ?? "unknown";
  }

  get secure(): boolean {
    return this.#secure;
  }

  write(data: Buffer): boolean {
    if (this.#closing || this.#stream.destroyed) return true;
    if (this.#deflate) {
      const ok = this.#deflate.write(data);
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => {
          this.#flushScheduled = false;
          this.#deflate?.flush(constants.Z_SYNC_FLUSH);
        });
      }
      return ok && !this.#stream.writableNeedDrain;
    }
    if (!this.#corked) {
      this.#corked = true;
      this.#stream.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#stream.uncork();
      });
    }
    return this.#stream.write(data);
  }

  async drain(): Promise<void> {
    const waitFor = (stream: NodeJS.WritableStream & { writableNeedDrain: boolean }) =>
      stream.writableNeedDrain
        ? new Promise<void>((resolve) => {
            const done = (): void => {
              stream.off("drain", done);
              this.#stream.off("close", done);
              resolve();
            };
            stream.once("drain", done);
            this.#stream.once("close", done);
          })
        : Promise.resolve();
    if (this.#deflate) await waitFor(this.#deflate);
    await waitFor(this.#stream);
  }

  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    this.#stream.resume();
  }

  async startTls(): Promise<void> {
    const context = this.options.secureContext;
    if (!context) throw new Error("STARTTLS is not offered");
    // Nothing more is read in the clear; the tagged OK must reach the client before TLS starts.
    this.#raw.off("data", this.#listener);
    this.#raw.pause();
    if (this.#corked) {
      this.#corked = false;
      this.#raw.uncork();
    }
    await new Promise<void>((resolve) => this.#raw.write(Buffer.alloc(0), () => resolve()));
    const tls = new TLSSocket(this.#raw, { isServer: true, secureContext: context() });
    this.#stream = tls;
    await new Promise<void>((resolve, reject) => {
      tls.once("secure", () => {
        this.#secure = true;
        tls.on("data", this.#listener);
        resolve();
      });
      tls.once("error", (error: Error) => {
        this.options.onError(error);
        this.#raw.destroy();
        reject(error);
      });
    });
  }

  startCompression(pending: Buffer): void {
    const inflate = createInflateRaw();
    const deflate = createDeflateRaw({ level: 6 });
    inflate.on("data", (chunk: Buffer) => this.options.onData(chunk));
    inflate.on("error", (error) => this.#fail(error));
    deflate.on("data", (chunk: Buffer) => {
      if (!this.#stream.destroyed) this.#stream.write(chunk);
    });
    deflate.on("error", (error) => this.#fail(error));
    this.#inflate = inflate;
    this.#deflate = deflate;
    if (pending.length > 0) inflate.write(pending);
  }

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    const stream = this.#stream;
    const end = (): void => {
      stream.end();
      setTimeout(() => stream.destroy(), CLOSE_TIMEOUT_MS).unref();
    };
    if (this.#deflate) {
      // 'end' comes after the last compressed bytes were handed to the socket.
      this.#deflate.once("end", end);
      this.#deflate.end();
    } else end();
  }

  #incoming(chunk: Buffer): void {
    if (this.#inflate) this.#inflate.write(chunk);
    else this.options.onData(chunk);
  }

  #fail(error: Error): void {
    this.options.onError(error);
    this.#stream.destroy();
  }
}
