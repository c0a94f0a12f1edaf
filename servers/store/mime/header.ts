/**
 * RFC 5322 header blocks, read from a "binary" string (one char per byte, from
 * `Buffer.toString("latin1")`) so that string offsets are byte offsets into the stored message.
 *
 * Both CRLF and bare LF line ends are accepted: a message is stored byte for byte as it arrived,
 * and some arrive with LF only (RFC 5322 §2.1 asks for CRLF, real mail does not always comply).
 */

export interface HeaderField {
  /** The field name as written. */
  readonly name: string;
  /** The raw value after the colon, folding line ends included, leading whitespace kept. */
  readonly raw: string;
}

/** Where the header of an entity ends and its body begins. */
export interface HeaderBounds {
  /** Offset just past the empty line that ends the header (the body's first byte). */
  readonly bodyStart: number;
  /** Offset of the end of the last header line, before the empty line. */
  readonly headerEnd: number;
}

/**
 * Finds the empty line that separates header and body within [start, end). A message without
 * one is all header (RFC 5322 §3.5 makes the body optional): the body is empty.
 */
export function findHeaderEnd(s: string, start: number, end: number): HeaderBounds {
  // A header that begins with an empty line has no fields at all.
  if (s.startsWith("\r\n", start) && start + 2 <= end)
    return { headerEnd: start, bodyStart: start + 2 };
  if (s.charCodeAt(start) === 10 && start < end) return { headerEnd: start, bodyStart: start + 1 };
  let i = start;
  for (;;) {
    const lf = s.indexOf("\n", i);
    if (lf < 0 || lf >= end) return { headerEnd: end, bodyStart: end };
    const next = lf + 1;
    if (next < end && s.charCodeAt(next) === 10) return { headerEnd: next, bodyStart: next + 1 };
    if (next + 1 < end && s.charCodeAt(next) === 13 && s.charCodeAt(next + 1) === 10) {
      return { headerEnd: next, bodyStart: next + 2 };
    }
    if (next >= end) return { headerEnd: end, bodyStart: end };
    i = next;
  }
}

/** Splits a header block into fields; lines that are not fields (no colon) are skipped. */
export function parseHeaderFields(s: string, start: number, end: number): HeaderField[] {
  const fields: HeaderField[] = [];
  let name = "";
  let raw = "";
  let open = false;
  let i = start;
  while (i < end) {
    let lf = s.indexOf("\n", i);
    if (lf < 0 || lf >= end) lf = end - 1;
    const line = s.slice(i, lf + 1);
    i = lf + 1;
    const first = line.charCodeAt(0);
    if ((first === 32 || first === 9) && open) {
      raw += line; // a continuation line (RFC 5322 §2.2.3 folding)
      continue;
    }
    if (open) fields.push({ name, raw: stripLineEnd(raw) });
    const colon = line.indexOf(":");
    // RFC 5322 §3.6.8: a field name is printable ASCII without colon; obsolete syntax allows
    // whitespace before the colon (§4.5.8).
    if (colon > 0 && /^[!-9;-~]+[ \t]*$/.test(line.slice(0, colon))) {
      name = line.slice(0, colon).trimEnd();
      raw = line.slice(colon + 1);
      open = true;
    } else {
      open = false;
    }
  }
  if (open) fields.push({ name, raw: stripLineEnd(raw) });
  return fields;
}

function stripLineEnd(value: string): string {
  if (value.endsWith("\r\n")) return value.slice(0, -2);
  if (value.endsWith("\n")) return value.slice(0, -1);
  return value;
}

/** Removes folding (RFC 5322 §2.2.3) and the whitespace around the value. */
export function unfold(raw: string): string {
  return raw.replace(/\r?\n(?=[ \t])/g, "").trim();
}

/** The first field with this name (case-insensitive), unfolded, or null. */
export function headerValue(fields: readonly HeaderField[], name: string): string | null {
  const lower = name.toLowerCase();
  for (const field of fields) if (field.name.toLowerCase() === lower) return unfold(field.raw);
  return null;
}

/** All fields with this name, unfolded, in order. */
export function headerValues(fields: readonly HeaderField[], name: string): string[] {
  const lower = name.toLowerCase();
  return fields.filter((f) => f.name.toLowerCase() === lower).map((f) => unfold(f.raw));
}

/** A binary (latin1) string read as UTF-8 when it is valid UTF-8 (RFC 6532), else as is. */
export function binaryToText(binary: string): string {
  // Pure ASCII is by far the common case and needs no conversion.
  if (!/[\x80-\xff]/.test(binary)) return binary;
  const bytes = Buffer.from(binary, "latin1");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return binary;
  }
}
