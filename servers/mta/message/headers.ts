/**
 * The header section of a raw message (RFC 5322 §2.2), edited as bytes: fields are found,
 * removed or prepended without touching anything else, so signatures over other fields and the
 * body stay valid. Bytes are handled as latin1 strings, which map one to one onto octets; values
 * handed out are decoded as UTF-8 (RFC 6532 allows UTF-8 in header fields).
 */
import { MAX_HEADER_BYTES } from "../limits.ts";

export interface Field {
  /** Lower-cased field name; "" for a line that is not a field (kept as it is). */
  readonly name: string;
  /** The field as it was: name, colon, value and every folded line, with their line ends. */
  readonly raw: string;
}

export interface SplitMessage {
  readonly fields: readonly Field[];
  /** The empty line that ends the header section, and the body; empty when there is none. */
  readonly rest: Buffer;
}

/** Splits a message into its header fields and the rest (the empty line and the body). */
export function splitMessage(raw: Uint8Array): SplitMessage {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const head = bytes.subarray(0, MAX_HEADER_BYTES).toString("latin1");
  // The header ends at the first empty line; a message may also start with one (no header).
  const match = /(^|\n)\r?\n/.exec(head);
  let end = bytes.length;
  if (match) end = match.index + match[1]!.length;
  else if (bytes.length > head.length) end = head.lastIndexOf("\n") + 1; // an endless header

  const header = bytes.subarray(0, end).toString("latin1");
  const fields: Field[] = [];
  for (const line of header ? header.split(/(?<=\n)/) : []) {
    const last = fields.at(-1);
    if (/^[ \t]/.test(line) && last) {
      fields[fields.length - 1] = { name: last.name, raw: last.raw + line };
      continue;
    }
    const colon = /^([^\s:]+)[ \t]*:/.exec(line);
    fields.push({ name: colon ? colon[1]!.toLowerCase() : "", raw: line });
  }
  return { fields, rest: bytes.subarray(end) };
}

export function joinMessage(fields: readonly Field[], rest: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(fields.map((f) => f.raw).join(""), "latin1"), rest]);
}

/** The unfolded value of a field (RFC 5322 §2.2.3), decoded as UTF-8. */
export function fieldValue(field: Field): string {
  const value = field.raw.slice(field.raw.indexOf(":") + 1);
  return Buffer.from(value, "latin1")
    .toString("utf8")
    .replace(/\r?\n(?=[ \t])/g, "")
    .trim();
}

export function valuesOf(fields: readonly Field[], name: string): string[] {
  const wanted = name.toLowerCase();
  return fields.filter((f) => f.name === wanted).map(fieldValue);
}

/**
 * New header lines in front of the message. Each value must already be folded with CRLF+WSP
 * where needed; CR or LF anywhere else would start a field of the client's choosing, so it is
 * refused here whoever built the value.
 */
export function prependFields(raw: Uint8Array, lines: readonly [string, string][]): Buffer {
  const text = lines
    .map(([name, value]) => {
      if (!/^[!-9;-~]+$/.test(name)) throw new Error(`not a header field name: ${name}`);
      if (/\r(?!\n[ \t])|(?<!\r)\n|\r\n(?![ \t])/.test(value)) {
        throw new Error(`header field ${name}: line break outside folding`);
      }
      return `${name}: ${value}\r\n`;
    })
    .join("");
  return Buffer.concat([Buffer.from(text, "utf8"), raw]);
}
