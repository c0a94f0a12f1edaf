/**
 * A client of clamd (ClamAV's daemon) over its local socket, with the INSTREAM command
 * (clamd(8)): "zINSTREAM\0", then the data in chunks, each preceded by its length as a 4-byte
 * unsigned big-endian integer, then a zero-length chunk. clamd answers one NUL-terminated line:
 * "stream: OK", "stream: <signature> FOUND", or "<reason> ERROR" (e.g. "INSTREAM size limit
 * exceeded. ERROR" past StreamMaxLength). clamd parses the MIME message itself.
 */
import { createConnection } from "node:net";

export interface ClamdOptions {
  readonly socket: string;
  readonly timeoutMs: number;
  readonly chunkBytes: number;
}

export type ClamdResult =
  { readonly infected: false } | { readonly infected: true; readonly signature: string };

export class ClamdError extends Error {
  override readonly name = "ClamdError";
}

export class ClamdClient {
  readonly #options: ClamdOptions;

  constructor(options: ClamdOptions) {
    this.#options = options;
  }

  async scan(data: Uint8Array): Promise<ClamdResult> {
    const reply = await this.#command("zINSTREAM\0", data);
    const match = /^stream: (.+) FOUND$/.exec(reply);
    if (match) return { infected: true, signature: match[1] ?? "" };
    if (reply === "stream: OK") return { infected: false };
    throw new ClamdError(`clamd: ${reply}`);
  }

  /** "zPING" answers "PONG" when clamd is up. */
  async ping(): Promise<boolean> {
    return (await this.#command("zPING\0")) === "PONG";
  }

  #command(command: string, data?: Uint8Array): Promise<string> {
    const { socket: path, timeoutMs, chunkBytes } = this.#options;
    return new Promise<string>((resolve, reject) => {
      const socket = createConnection(path);
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (error: Error | undefined, reply?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (error) reject(error);
        else resolve(reply ?? "");
      };
      const timer = setTimeout(
        () => finish(new ClamdError(`clamd did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.on("error", (error) => finish(new ClamdError(`clamd: ${error.message}`)));
      socket.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        const all = Buffer.concat(chunks);
        const nul = all.indexOf(0);
        if (nul >= 0) finish(undefined, all.subarray(0, nul).toString("utf8").trim());
      });
      socket.on("end", () => {
        const all = Buffer.concat(chunks).toString("utf8").replace(/\0$/, "").trim();
        if (all !== "") finish(undefined, all);
        else finish(new ClamdError("clamd closed the connection without an answer"));
      });
      socket.on("connect", () => {
        socket.write(command);
        if (data === undefined) return;
        for (let at = 0; at < data.byteLength; at += chunkBytes) {
          const piece = data.subarray(at, Math.min(at + chunkBytes, data.byteLength));
          const length = Buffer.alloc(4);
          length.writeUInt32BE(piece.byteLength);
          socket.write(length);
          socket.write(piece);
        }
        socket.write(Buffer.alloc(4));
      });
    });
  }
}
