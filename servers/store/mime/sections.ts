/**
 * FETCH BODY[section] (RFC 9051 §6.4.5) as byte ranges of the stored message, computed from the
 * MIME tree kept at append time, and the HEADER.FIELDS filter applied to header bytes.
 */
import type { Section } from "../types.ts";
import { findPart, toBinary, type MimePart } from "./mime-tree.ts";

export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** The range of a section; undefined when the message has no such part. */
export function sectionRange(root: MimePart, section: Section): ByteRange | undefined {
  const whole = section.part.length === 0;
  const part = whole ? root : findPart(root, section.part);
  if (!part) return undefined;
  switch (section.text) {
    case "":
      return whole ? { start: 0, end: root.bodyEnd } : { start: part.bodyStart, end: part.bodyEnd };
    case "HEADER":
    case "TEXT": {
      // HEADER and TEXT name a message: the top level, or a message/rfc822 part.
      const message = whole ? root : part.message?.root;
      if (!message) return undefined;
      return section.text === "HEADER"
        ? { start: message.headerStart, end: message.bodyStart }
        : { start: message.bodyStart, end: message.bodyEnd };
    }
    case "MIME":
      return whole ? undefined : { start: part.headerStart, end: part.bodyStart };
  }
}

/**
 * HEADER.FIELDS (names) and HEADER.FIELDS.NOT (names) of a header block: the matching fields as
 * written (folding kept), then the empty line that ends a header (RFC 9051 §6.4.5).
 */
export function filterHeaderFields(
  header: Uint8Array,
  names: readonly string[],
  exclude: boolean,
): Uint8Array {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const s = toBinary(header);
  let out = "";
  let keep = false;
  let i = 0;
  while (i < s.length) {
    let lf = s.indexOf("\n", i);
    if (lf < 0) lf = s.length - 1;
    const line = s.slice(i, lf + 1);
    i = lf + 1;
    if (line === "\r\n" || line === "\n") break;
    const first = line.charCodeAt(0);
    if (first !== 32 && first !== 9) {
      const colon = line.indexOf(":");
      const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : "";
      keep = name !== "" && wanted.has(name) !== exclude;
    }
    if (keep) out += line.endsWith("\n") ? line.replace(/\r?\n$/, "\r\n") : `${line}\r\n`;
  }
  return Buffer.from(`${out}\r\n`, "latin1");
}
