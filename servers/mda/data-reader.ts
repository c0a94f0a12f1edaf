/**
 * The message after DATA (RFC 5321 §4.1.1.4, §4.5.2): bytes up to the line that holds only a
 * dot, with the transparency dot removed from every line that starts with one.
 *
 * Only CRLF.CRLF ends the message; a bare LF before or after the dot does not (accepting it is
 * what SMTP smuggling abuses). The reader is fed socket chunks as they come and finds the end
 * across chunk boundaries; the stream is taken to start after the CRLF of the DATA line, so an
 * empty message is a lone ".\r\n".
 */
const TERMINATOR = Buffer.from("\r\n.\r\n", "latin1");
const LINE_DOT = Buffer.from("\r\n.", "latin1");
const DOT = 0x2e;

export class DataReader {
  private readonly chunks: Buffer[] = [];
  /** Bytes of the (still dot-stuffed) message received so far. */
  private received = 0;
  /** The last bytes of the stream, to find a terminator that spans two chunks. */
  private tail: Buffer = Buffer.from("\r\n", "latin1");
  private end: number | undefined;

  /**
   * @param keepLimit bytes kept at most; past it the rest is read and dropped, and the message
   *   counts as too large. Dot-stuffing only adds bytes, so a message within the limit after
   *   unstuffing is always kept when keepLimit is a little above the size limit.
   */
  constructor(private readonly keepLimit: number) {}

  /** Feeds bytes; returns undefined while the message goes on, else what followed its end. */
  push(chunk: Buffer): Buffer | undefined {
    const tailLength = this.tail.length;
    const hay = Buffer.concat([this.tail, chunk], tailLength + chunk.length);
    const at = hay.indexOf(TERMINATOR);
    if (at === -1) {
      this.keep(chunk, chunk.length);
      this.tail = Buffer.from(hay.subarray(Math.max(0, hay.length - TERMINATOR.length + 1)));
      return undefined;
    }
    // The CRLF before the dot ends the last line, which belongs to the message. It may have
    // come in an earlier chunk (then `end` is negative: bytes already kept are cut off).
    const endInChunk = at + 2 - tailLength;
    this.end = this.received + endInChunk;
    if (endInChunk > 0) this.keep(chunk, endInChunk);
    return hay.subarray(at + TERMINATOR.length);
  }

  private keep(chunk: Buffer, length: number): void {
    if (this.received + length <= this.keepLimit) this.chunks.push(chunk.subarray(0, length));
    this.received += length;
  }

  /** The unstuffed message once the end was seen; undefined when it was over `maxBytes`. */
  message(maxBytes: number): Buffer | undefined {
    const end = this.end;
    if (end === undefined) throw new Error("the message has not ended");
    if (end > this.keepLimit) return undefined;
    const raw = unstuff(Buffer.concat(this.chunks).subarray(0, end));
    return raw.length > maxBytes ? undefined : raw;
  }
}

/** Removes the leading dot of every line that starts with one (RFC 5321 §4.5.2). */
export function unstuff(raw: Buffer): Buffer {
  let start = raw[0] === DOT ? 1 : 0;
  let at = raw.indexOf(LINE_DOT, start);
  if (start === 0 && at === -1) return raw;
  const parts: Buffer[] = [];
  while (at !== -1) {
    parts.push(raw.subarray(start, at + 2));
    start = at + LINE_DOT.length;
    at = raw.indexOf(LINE_DOT, start);
  }
  parts.push(raw.subarray(start));
  return Buffer.concat(parts);
}
