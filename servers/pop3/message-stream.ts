/**
 * RETR and TOP bodies: the stored message read in slices, byte-stuffed and CRLF-terminated as
 * RFC 1939 §3 asks, never whole in memory.
 *
 * - A line starting with "." gets another "." in front.
 * - A bare LF becomes CRLF (messages stored through IMAP APPEND may carry them; POP3 lines end
 *   in CRLF). LIST still reports the stored size: RFC 1939 §11 lets it differ from the octets
 *   sent.
 * - A message not ending in a line break gets one before the terminating ".".
 * - TOP (RFC 1939 §7): the header, the blank line, then at most `bodyLines` lines of the body.
 */
import type { CommandContext } from "./command.ts";
import { READ_CHUNK_BYTES } from "./limits.ts";
import type { Maildrop, MaildropMessage } from "./maildrop.ts";
import { ProtocolError, REPLIES, type Reply } from "./replies.ts";

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const DOT_BYTES = Buffer.from(".");
const LF_BYTES = Buffer.from("\n");
const CR_BYTES = Buffer.from("\r");
const CRLF_BYTES = Buffer.from("\r\n");
const TERMINATOR = Buffer.from(".\r\n");

export class DotStuffer {
  #atLineStart = true;
  /** Octets of the current line so far. */
  #lineLength = 0;
  /** The current line's last octet so far was CR. */
  #lastWasCr = false;
  #inBody = false;
  #bodyLinesLeft: number | undefined;
  #done = false;

  /** `bodyLines`: TOP's line count; undefined sends the whole message (RETR). */
  constructor(bodyLines?: number) {
    this.#bodyLinesLeft = bodyLines;
  }

  /** TOP has sent all it should; further input is ignored. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * The next slice of the message, transformed. Unchanged runs are passed on as views of the
   * slice, so a message with CRLF lines and few leading dots is not copied line by line.
   */
  push(slice: Uint8Array): Buffer {
    // A Buffer view, not a copy: Buffer's indexOf is memchr, TypedArray's a generic loop.
    const chunk = Buffer.isBuffer(slice)
      ? slice
      : Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength);
    const out: Uint8Array[] = [];
    let from = 0; // start of the run not yet passed on
    let i = 0;
    while (i < chunk.length && !this.#done) {
      if (this.#atLineStart) {
        if (chunk[i] === DOT) {
          out.push(chunk.subarray(from, i), DOT_BYTES);
          from = i;
        }
        this.#atLineStart = false;
      }
      const lf = chunk.indexOf(LF, i);
      if (lf === -1) {
        this.#lineLength += chunk.length - i;
        this.#lastWasCr = chunk[chunk.length - 1] === CR;
        i = chunk.length;
        break;
      }
      const crBefore = lf > i ? chunk[lf - 1] === CR : this.#lastWasCr;
      if (!crBefore) {
        out.push(chunk.subarray(from, lf), CR_BYTES);
        from = lf;
      }
      this.#lineLength += lf - i;
      this.#endLine(this.#lineLength === 0 || (this.#lineLength === 1 && crBefore));
      i = lf + 1;
    }
    out.push(chunk.subarray(from, this.#done ? i : chunk.length));
    const [only] = out;
    return out.length === 1 && Buffer.isBuffer(only) ? only : Buffer.concat(out);
  }

  /** The line break a last unterminated line needs, then the terminating ".\r\n". */
  finish(): Buffer {
    if (this.#atLineStart || this.#done) return TERMINATOR;
    return Buffer.concat([this.#lastWasCr ? LF_BYTES : CRLF_BYTES, TERMINATOR]);
  }

  #endLine(empty: boolean): void {
    this.#atLineStart = true;
    this.#lineLength = 0;
    this.#lastWasCr = false;
    if (!this.#inBody) {
      // The first empty line ends the header (RFC 5322 §2.1).
      if (empty) {
        this.#inBody = true;
        if (this.#bodyLinesLeft === 0) this.#done = true;
      }
    } else if (this.#bodyLinesLeft !== undefined && --this.#bodyLinesLeft <= 0) {
      this.#done = true;
    }
  }
}

/** The connection must end: a message vanished or failed mid-transfer, after "+OK" went out. */
export class TransferAborted extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransferAborted";
  }
}

/**
 * Sends `first` and the message (or its top), stuffed and terminated. Before the status line is
 * sent, a message another session removed answers -ERR; after it, only closing the connection
 * can tell the client the transfer is incomplete.
 */
export async function sendMessage(
  ctx: CommandContext,
  maildrop: Maildrop,
  message: MaildropMessage,
  first: Reply,
  bodyLines?: number,
): Promise<void> {
  const stuffer = new DotStuffer(bodyLines);
  let chunk = await maildrop.read(message, 0, Math.min(READ_CHUNK_BYTES, message.size));
  if (chunk === undefined) throw new ProtocolError(REPLIES.messageGone);
  await ctx.reply(first);
  let offset = 0;
  for (;;) {
    const out = stuffer.push(chunk);
    if (out.length > 0) await ctx.write(out);
    offset += chunk.length;
    if (stuffer.done || chunk.length === 0 || offset >= message.size) break;
    try {
      chunk = await maildrop.read(message, offset, offset + READ_CHUNK_BYTES);
    } catch (error) {
      throw new TransferAborted(`reading UID ${message.uid} failed`, { cause: error });
    }
    if (chunk === undefined) throw new TransferAborted(`UID ${message.uid} vanished mid-transfer`);
  }
  await ctx.write(stuffer.finish());
}
