/**
 * Encodes response data (RFC 9051 §9): atoms as they are, strings quoted when they can be and as
 * literals when they cannot, NIL, numbers and parenthesized lists. No I/O: a response becomes
 * one Buffer the session writes.
 *
 * A string is quoted when it is short and holds only TEXT-CHARs (no CR, LF or NUL); 8-bit text is
 * quoted only for sessions that enabled UTF-8 (RFC 9051 / RFC 6855), otherwise it goes as a
 * literal, which IMAP4rev1 allows to carry 8-bit octets.
 */

/** Written verbatim (ASCII): response keywords, flags, `BODY[1.2]`, numbers already formatted. */
export class Atom {
  constructor(readonly text: string) {}
}

/** A string value; `literal` forces literal form, `binary` uses literal8 `~{n}` (RFC 3516). */
export class Str {
  constructor(
    readonly bytes: Buffer,
    readonly literal = false,
    readonly binary = false,
  ) {}
}

/**
 * Values written back to back, without spaces: RFC 9051 spells address lists `1*address` and
 * multipart bodies `1*body`, i.e. `((...)(...))`, not `((...) (...))`.
 */
export class Seq {
  constructor(readonly items: readonly Value[]) {}
}

export type Value = null | number | Atom | Str | Seq | readonly Value[];

export interface EncodeOptions {
  /** The session accepts UTF-8 in quoted strings (IMAP4rev2 or UTF8=ACCEPT enabled). */
  readonly utf8: boolean;
}

export const atom = (text: string): Atom => new Atom(text);

/** A string from text (UTF-8) or octets; null gives NIL (an nstring). */
export function str(value: string | Uint8Array | null | undefined): Str | null {
  if (value === null || value === undefined) return null;
  return new Str(typeof value === "string" ? Buffer.from(value, "utf8") : toBuffer(value));
}

export function literal(value: Uint8Array, binary = false): Str {
  return new Str(toBuffer(value), true, binary);
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Longest string sent quoted; longer ones go as literals, which clients read without scanning. */
const MAX_QUOTED = 1024;

function quotable(bytes: Buffer, utf8: boolean): boolean {
  if (bytes.length > MAX_QUOTED) return false;
  let eightBit = false;
  for (const b of bytes) {
    if (b === 0 || b === 0x0a || b === 0x0d) return false;
    if (b >= 0x80) eightBit = true;
  }
  if (!eightBit) return true;
  return utf8 && isUtf8(bytes);
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

class Output {
  readonly parts: Buffer[] = [];
  #text = "";

  text(s: string): void {
    this.#text += s;
  }

  bytes(b: Buffer): void {
    this.flush();
    this.parts.push(b);
  }

  flush(): void {
    if (this.#text !== "") this.parts.push(Buffer.from(this.#text, "latin1"));
    this.#text = "";
  }
}

function write(out: Output, value: Value, options: EncodeOptions): void {
  if (value === null) out.text("NIL");
  else if (typeof value === "number") out.text(String(value));
  else if (value instanceof Atom) out.text(value.text);
  else if (value instanceof Str) writeString(out, value, options);
  else if (value instanceof Seq) for (const item of value.items) write(out, item, options);
  else {
    out.text("(");
    value.forEach((item, i) => {
      if (i > 0) out.text(" ");
      write(out, item, options);
    });
    out.text(")");
  }
}

function writeString(out: Output, value: Str, options: EncodeOptions): void {
  const { bytes } = value;
  if (!value.literal && quotable(bytes, options.utf8)) {
    out.text('"');
    out.bytes(escapeQuoted(bytes));
    out.text('"');
    return;
  }
  out.text(`${value.binary ? "~" : ""}{${bytes.length}}\r\n`);
  out.bytes(bytes);
}

function escapeQuoted(bytes: Buffer): Buffer {
  if (!bytes.includes(0x22) && !bytes.includes(0x5c)) return bytes;
  const out: number[] = [];
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out.push(0x5c);
    out.push(b);
  }
  return Buffer.from(out);
}

/** Values separated by spaces, e.g. the data of an untagged response. */
export function encodeValues(values: readonly Value[], options: EncodeOptions): Buffer {
  const out = new Output();
  values.forEach((value, i) => {
    if (i > 0) out.text(" ");
    write(out, value, options);
  });
  out.flush();
  return out.parts.length === 1 ? (out.parts[0] as Buffer) : Buffer.concat(out.parts);
}

/** `* <values>\r\n` */
export function untagged(values: readonly Value[], options: EncodeOptions): Buffer {
  return untaggedMany([values], options);
}

/** Several untagged responses as one Buffer (one write for a batch of FETCH responses). */
export function untaggedMany(
  responses: readonly (readonly Value[])[],
  options: EncodeOptions,
): Buffer {
  const out = new Output();
  for (const values of responses) {
    out.text("* ");
    values.forEach((value, i) => {
      if (i > 0) out.text(" ");
      write(out, value, options);
    });
    out.text("\r\n");
  }
  out.flush();
  return out.parts.length === 1 ? (out.parts[0] as Buffer) : Buffer.concat(out.parts);
}

/** `tag OK [CODE] text\r\n` (also `* OK`, `* BYE` with tag "*"). */
export function statusLine(tag: string, status: string, code: string | undefined, text: string) {
  const safe = text.replace(/[\r\n]+/g, " ");
  return Buffer.from(`${tag} ${status} ${code ? `[${code}] ` : ""}${safe}\r\n`, "utf8");
}

/** `+ text\r\n` */
export function continuation(text: string): Buffer {
  return Buffer.from(`+ ${text}\r\n`, "utf8");
}

/** A quoted string as text, for response codes written into status lines. */
export function quoted(text: string): string {
  return `"${text.replace(/(["\\])/g, "\\$1")}"`;
}
