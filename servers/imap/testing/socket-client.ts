/**
 * A bare IMAP client on a real socket for integration transcripts: plain, implicit TLS, STARTTLS
 * upgrade and COMPRESS=DEFLATE, with the same Channel interface as the in-memory sessions.
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw } from "node:zlib";
import { LineBuffer } from "./line-buffer.ts";
import { transcript, type Channel } from "./transcript.ts";

export class SocketClient implements Channel {
  readonly output = new LineBuffer();
  #socket: Socket;
  #deflate: DeflateRaw | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.#listen(socket);
  }

  static async connect(
    port: number,
    options: { tls?: boolean; ca?: string } = {},
  ): Promise<SocketClient> {
    const socket: Socket = options.tls
      ? tlsConnect({ host: "127.0.0.1", port, ca: options.ca, servername: "localhost" })
      : netConnect({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? "secureConnect" : "connect", () => resolve());
      socket.once("error", reject);
    });
    return new SocketClient(socket);
  }

  write(data: string | Buffer): void {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    if (this.#deflate) {
      this.#deflate.write(bytes);
      this.#deflate.flush(constants.Z_SYNC_FLUSH);
    } else this.#socket.write(bytes);
  }

  run(script: string, options?: { rest?: "empty" | "any" }): Promise<void> {
    return transcript(this, script, options);
  }

  /** Upgrades after the server said OK to STARTTLS. */
  async startTls(ca: string): Promise<void> {
    this.#socket.removeAllListeners("data");
    const secure: TLSSocket = tlsConnect({ socket: this.#socket, ca, servername: "localhost" });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    this.#socket = secure;
    this.#listen(secure);
  }

  /** Turns on deflate after the server said OK to COMPRESS DEFLATE. */
  startCompression(): void {
    const inflate = createInflateRaw();
    const deflate = createDeflateRaw();
    this.#socket.removeAllListeners("data");
    this.#socket.removeAllListeners("close");
    this.#socket.on("data", (chunk: Buffer) => inflate.write(chunk));
    // The connection counts as closed once the last compressed bytes are inflated.
    this.#socket.on("close", () => inflate.end());
    inflate.on("end", () => this.output.end());
    inflate.on("data", (chunk: Buffer) => this.output.push(chunk));
    deflate.on("data", (chunk: Buffer) => this.#socket.write(chunk));
    this.#deflate = deflate;
  }

  end(): void {
    this.#socket.destroy();
  }

  #listen(socket: Socket): void {
    socket.on("data", (chunk: Buffer) => this.output.push(chunk));
    socket.on("close", () => this.output.end());
    socket.on("error", () => undefined);
  }
}
