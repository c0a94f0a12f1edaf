/**
 * The MIME structure of a message (RFC 2045, RFC 2046), parsed once at append time with the byte
 * offsets of every part, so that FETCH BODYSTRUCTURE and BODY[1.2.MIME] never re-read the whole
 * message. Each node carries what RFC 9051 §7.5.2 BODYSTRUCTURE needs; `message/rfc822` parts
 * carry the encapsulated message's envelope and root entity.
 *
 * Hostile input is bounded: nesting beyond MAX_DEPTH or more than MAX_PARTS parts turns the rest
 * into opaque leaves instead of failing the delivery.
 */
import { buildEnvelope, type Envelope } from "./envelope.ts";
import {
  binaryToText,
  findHeaderEnd,
  headerValue,
  parseHeaderFields,
  type HeaderField,
} from "./header.ts";
import { paramValue, parseStructured, type Params } from "./params.ts";

const MAX_DEPTH = 50;
const MAX_PARTS = 5000;

export interface MimePart {
  /** Offset of the part's first header byte (for the root: 0). */
  readonly headerStart: number;
  /** Offset of the body's first byte; `bodyStart - headerStart` is the header size, blank line included. */
  readonly bodyStart: number;
  /** Offset past the body's last byte (the CRLF before a boundary is not part of the body). */
  readonly bodyEnd: number;
  /** Lowercase media type and subtype; "text"/"plain" when the header is missing or unusable. */
  readonly type: string;
  readonly subtype: string;
  /** Content-Type parameters, RFC 2231 continuations joined. */
  readonly params: Params;
  readonly id?: string;
  readonly description?: string;
  /** Content-Transfer-Encoding as written; absent means 7bit. */
  readonly encoding?: string;
  readonly md5?: string;
  readonly disposition?: { readonly type: string; readonly params: Params };
  readonly language?: readonly string[];
  readonly location?: string;
  /** Lines in the body: LF count, plus one for a final line without one. */
  readonly lines: number;
  /** Children of a multipart, in order (IMAP part numbers 1..n). */
  readonly children?: readonly MimePart[];
  /** The encapsulated message of a message/rfc822 (or message/global) part. */
  readonly message?: { readonly envelope: Envelope; readonly root: MimePart };
}

export interface ParsedMessage {
  /** The message as a binary string: offsets in it are byte offsets. */
  readonly binary: string;
  readonly root: MimePart;
  /** The top-level header fields. */
  readonly fields: readonly HeaderField[];
}

export function toBinary(raw: Uint8Array): string {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("latin1");
}

export function parseMessage(raw: Uint8Array): ParsedMessage {
  const binary = toBinary(raw);
  const counter = { parts: 0 };
  const [root, fields] = parseEntity(binary, 0, binary.length, "text/plain", 0, counter);
  return { binary, root, fields };
}

function countLines(s: string, start: number, end: number): number {
  let lines = 0;
  let i = s.indexOf("\n", start);
  while (i >= 0 && i < end) {
    lines++;
    i = s.indexOf("\n", i + 1);
  }
  if (end > start && s.charCodeAt(end - 1) !== 10) lines++;
  return lines;
}

function optionalText(fields: readonly HeaderField[], name: string): string | undefined {
  const value = headerValue(fields, name);
  return value === null ? undefined : binaryToText(value);
}

function parseEntity(
  s: string,
  start: number,
  end: number,
  defaultType: string,
  depth: number,
  counter: { parts: number },
): [MimePart, HeaderField[]] {
  counter.parts++;
  const { headerEnd, bodyStart } = findHeaderEnd(s, start, end);
  const fields = parseHeaderFields(s, start, headerEnd);
  const contentType = headerValue(fields, "Content-Type");
  let ct = parseStructured(contentType);
  if (!/^[^/\s]+\/[^/\s]+$/.test(ct.value)) {
    // RFC 2045 §5.2: no (or an unusable) Content-Type means text/plain; charset=us-ascii.
    ct =
      defaultType === "text/plain"
        ? { value: "text/plain", params: [["charset", "us-ascii"]] }
        : { value: defaultType, params: [] };
  }
  const [type = "text", subtype = "plain"] = ct.value.split("/");
  const encoding = optionalText(fields, "Content-Transfer-Encoding");
  const dispositionHeader = headerValue(fields, "Content-Disposition");
  const disposition = dispositionHeader === null ? undefined : parseStructured(dispositionHeader);
  const language = headerValue(fields, "Content-Language");
  const base = {
    headerStart: start,
    bodyStart,
    bodyEnd: end,
    type,
    subtype,
    params: ct.params,
    id: optionalText(fields, "Content-ID"),
    description: optionalText(fields, "Content-Description"),
    encoding,
    md5: optionalText(fields, "Content-MD5"),
    disposition: disposition && { type: disposition.value, params: disposition.params },
    language:
      language === null
        ? undefined
        : language
            .split(/[\s,]+/)
            .map((l) => l.replace(/\(.*?\)/g, ""))
            .filter((l) => l !== ""),
    location: optionalText(fields, "Content-Location"),
    lines: countLines(s, bodyStart, end),
  };
  const limited = depth >= MAX_DEPTH || counter.parts >= MAX_PARTS;
  const boundary = paramValue(ct.params, "boundary", false);
  if (type === "multipart" && boundary && !limited) {
    const childDefault = subtype === "digest" ? "message/rfc822" : "text/plain";
    const ranges = splitMultipart(s, bodyStart, end, boundary);
    const children = ranges.map(
      ([from, to]) => parseEntity(s, from, to, childDefault, depth + 1, counter)[0],
    );
    if (children.length === 0) {
      // IMAP needs at least one body in a multipart: an empty text/plain stands in.
      children.push(emptyPart(end));
    }
    return [{ ...base, children }, fields];
  }
  const encoded = /^(base64|quoted-printable)$/i.test(encoding?.trim() ?? "");
  if (type === "message" && /^(rfc822|global)$/.test(subtype) && !encoded && !limited) {
    const [root, innerFields] = parseEntity(s, bodyStart, end, "text/plain", depth + 1, counter);
    return [{ ...base, message: { envelope: buildEnvelope(innerFields), root } }, fields];
  }
  return [base, fields];
}

function emptyPart(at: number): MimePart {
  return {
    headerStart: at,
    bodyStart: at,
    bodyEnd: at,
    type: "text",
    subtype: "plain",
    params: [["charset", "us-ascii"]],
    lines: 0,
  };
}

/**
 * RFC 2046 §5.1.1: the body parts between `--boundary` delimiter lines. The line end before a
 * delimiter belongs to the delimiter; transport padding (whitespace) may follow it; an unclosed
 * multipart ends at the end of its body.
 */
export function splitMultipart(
  s: string,
  bodyStart: number,
  end: number,
  boundary: string,
): [number, number][] {
  const delimiter = `--${boundary}`;
  const parts: [number, number][] = [];
  let partStart = -1;
  let pos = bodyStart;
  for (;;) {
    const at = s.indexOf(delimiter, pos);
    if (at < 0 || at + delimiter.length > end) break;
    if (at !== bodyStart && s.charCodeAt(at - 1) !== 10) {
      pos = at + 1;
      continue;
    }
    const after = at + delimiter.length;
    const close = s.startsWith("--", after) && after + 2 <= end;
    const rest = close ? after + 2 : after;
    let lineEnd = s.indexOf("\n", rest);
    if (lineEnd < 0 || lineEnd >= end) lineEnd = end - 1;
    if (!/^[ \t]*\r?\n?$/.test(s.slice(rest, lineEnd + 1))) {
      pos = after; // "--boundaryX": a longer string, not our delimiter
      continue;
    }
    if (partStart >= 0) {
      let partEnd = at;
      if (partEnd > partStart && s.charCodeAt(partEnd - 1) === 10) partEnd--;
      if (partEnd > partStart && s.charCodeAt(partEnd - 1) === 13) partEnd--;
      parts.push([partStart, partEnd]);
    }
    if (close) return parts;
    partStart = Math.min(lineEnd + 1, end);
    pos = partStart;
  }
  if (partStart >= 0) parts.push([partStart, end]);
  return parts;
}

/**
 * The part an IMAP part number names (RFC 9051 §6.4.5, RFC 3501 §6.4.5), or undefined. Numbers
 * name the parts of a multipart and, inside a message/rfc822 part, the parts of the message it
 * encloses. The top-level message is such an enclosure too, so a non-multipart message has
 * exactly one part, "1", which is its body: also when that body is itself a message/rfc822
 * (then "1" is the whole enclosed message, "1.HEADER" its header and "1.1" its body).
 */
export function findPart(root: MimePart, path: readonly number[]): MimePart | undefined {
  let node = root;
  let enclosure = true;
  for (const n of path) {
    const next = subparts(node, enclosure)[n - 1];
    if (!next) return undefined;
    node = next;
    enclosure = false;
  }
  return node;
}

/** The parts a number selects from: a multipart's children, or what an enclosure holds. */
function subparts(node: MimePart, enclosure: boolean): readonly MimePart[] {
  if (node.children) return node.children;
  if (enclosure) return [node];
  if (node.message) {
    const inner = node.message.root;
    return inner.children ?? [inner];
  }
  return [];
}
