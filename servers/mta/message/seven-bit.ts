/**
 * 8-bit to 7-bit conversion of a message body (RFC 6152 §3: a message with 8-bit content may go
 * to a server that does not offer 8BITMIME only once converted to 7 bit, else it is returned).
 *
 * The MIME tree is walked (RFC 2045, RFC 2046) and only what carries 8-bit octets changes:
 *
 *   text/* leaves in 7bit, 8bit or binary: quoted-printable (RFC 2045 §6.7), line breaks kept;
 *   other leaves (message/global too, RFC 6532 §3.5): base64 (RFC 2045 §6.8);
 *   a quoted-printable leaf with stray 8-bit octets: those octets escaped (=XX, same meaning);
 *   a base64 leaf with stray 8-bit octets: those octets dropped (decoders skip them anyway);
 *   multipart/* and message/rfc822: their parts converted, their own label 8bit/binary -> 7bit
 *   (RFC 2046 §5: composite types take no other encoding); an 8-bit preamble or epilogue,
 *   which readers ignore (RFC 2046 §5.1.1), is left out.
 *
 * Every other octet stays as it was: the header fields (UTF-8 there is SMTPUTF8's matter,
 * RFC 6531), the boundaries, the parts that are 7-bit already. A converted top-level leaf gets
 * MIME-Version, and Content-Type text/plain; charset=utf-8 when it had no Content-Type and its
 * text is UTF-8, so it reads the same as before. Messages are CRLF throughout (SMTP).
 */

const CRLF = "\r\n";

/** Whether anything after the header section has an octet above 127. */
export function hasEightBitBody(raw: Buffer): boolean {
  return hasEightBit(parseEntity(raw).body);
}

/** The message with a 7-bit body; `raw` itself when its body is 7-bit already. */
export function toSevenBit(raw: Buffer): Buffer {
  const entity = parseEntity(raw);
  if (!hasEightBit(entity.body)) return raw;
  return convertEntity(entity, "text/plain", true);
}

interface Entity {
  /** Each field with its folded lines and final CRLF, as it was. */
  readonly fields: readonly Buffer[];
  readonly body: Buffer;
}

function parseEntity(raw: Buffer): Entity {
  if (raw.subarray(0, 2).toString("latin1") === CRLF) return { fields: [], body: raw.subarray(2) };
  const end = raw.indexOf("\r\n\r\n");
  const header = end === -1 ? raw : raw.subarray(0, end + 2);
  const body = end === -1 ? Buffer.alloc(0) : raw.subarray(end + 4);
  const fields: Buffer[] = [];
  let start = 0;
  let pos = 0;
  while (pos < header.length) {
    const eol = header.indexOf(CRLF, pos);
    const next = eol === -1 ? header.length : eol + 2;
    const continues = next < header.length && (header[next] === 0x20 || header[next] === 0x09);
    if (!continues) {
      fields.push(header.subarray(start, next));
      start = next;
    }
    pos = next;
  }
  return { fields, body };
}

function serialize(fields: readonly Buffer[], body: Buffer): Buffer {
  return Buffer.concat([...fields, Buffer.from(CRLF), body]);
}

function convertEntity(entity: Entity, defaultType: string, top: boolean): Buffer {
  const { fields, body } = entity;
  if (!hasEightBit(body)) return serialize(fields, body);
  const type = contentType(fields, defaultType);
  const encoding = (fieldValue(fields, "content-transfer-encoding") ?? "7bit").toLowerCase();
  const identity = !["quoted-printable", "base64"].includes(encoding);
  const relabel = (to: string) =>
    encoding === "8bit" || encoding === "binary" ? withEncoding(fields, to) : fields;

  if (type.media.startsWith("multipart/") && type.boundary !== undefined) {
    const childDefault = type.media === "multipart/digest" ? "message/rfc822" : "text/plain";
    return serialize(relabel("7bit"), convertMultipart(body, type.boundary, childDefault));
  }
  if (type.media === "message/rfc822" && identity) {
    return serialize(relabel("7bit"), convertEntity(parseEntity(body), "text/plain", false));
  }
  if (encoding === "quoted-printable") return serialize(fields, escapeEightBit(body));
  if (encoding === "base64") return serialize(fields, dropEightBit(body));

  const text = type.media.startsWith("text/");
  let converted = withEncoding(fields, text ? "quoted-printable" : "base64");
  if (top) {
    if (fieldValue(fields, "mime-version") === undefined) {
      converted = [...converted, Buffer.from(`MIME-Version: 1.0${CRLF}`)];
    }
    if (fieldValue(fields, "content-type") === undefined && isUtf8(body)) {
      converted = [...converted, Buffer.from(`Content-Type: text/plain; charset=utf-8${CRLF}`)];
    }
  }
  return serialize(converted, text ? quotedPrintable(body) : base64(body));
}

/**
 * The parts of a multipart body converted, everything between them (delimiter lines, a 7-bit
 * preamble and epilogue) as it was. A delimiter line starts the body or follows a CRLF, which
 * belongs to it (RFC 2046 §5.1.1).
 */
function convertMultipart(body: Buffer, boundary: string, childDefault: string): Buffer {
  const out: Buffer[] = [];
  const delimiter = `--${boundary}`;
  let segmentStart = 0;
  let inPart = false;
  let search = 0;
  for (;;) {
    const found = findDelimiter(body, delimiter, search);
    if (found === undefined) break;
    const segment = body.subarray(segmentStart, found.lineStart);
    out.push(
      inPart
        ? convertEntity(parseEntity(segment), childDefault, false)
        : sevenBitOrNothing(segment),
    );
    out.push(body.subarray(found.lineStart, found.lineEnd));
    segmentStart = found.lineEnd;
    search = found.lineEnd;
    if (found.close) {
      out.push(sevenBitOrNothing(body.subarray(found.lineEnd)));
      return Buffer.concat(out);
    }
    inPart = true;
  }
  // No closing delimiter: what follows the last one is still a part.
  const rest = body.subarray(segmentStart);
  out.push(
    inPart ? convertEntity(parseEntity(rest), childDefault, false) : sevenBitOrNothing(rest),
  );
  return Buffer.concat(out);
}

interface DelimiterLine {
  /** Where the line starts, its leading CRLF included. */
  readonly lineStart: number;
  /** Just past its CRLF (or the end of the body). */
  readonly lineEnd: number;
  readonly close: boolean;
}

function findDelimiter(body: Buffer, delimiter: string, from: number): DelimiterLine | undefined {
  let at = from;
  for (;;) {
    let start: number;
    let after: number;
    if (at === 0 && body.subarray(0, delimiter.length).toString("latin1") === delimiter) {
      start = 0;
      after = delimiter.length;
    } else {
      start = body.indexOf(`${CRLF}${delimiter}`, at);
      if (start === -1) return undefined;
      after = start + 2 + delimiter.length;
    }
    const eol = body.indexOf(CRLF, after);
    const lineEnd = eol === -1 ? body.length : eol + 2;
    const rest = body.subarray(after, eol === -1 ? body.length : eol).toString("latin1");
    // "--" closes; otherwise only transport padding (whitespace) may follow (RFC 2046 §5.1.1).
    const close = rest.startsWith("--");
    if (close || /^[ \t]*$/.test(rest)) return { lineStart: start, lineEnd, close };
    at = after;
  }
}

function sevenBitOrNothing(segment: Buffer): Buffer {
  return hasEightBit(segment) ? Buffer.alloc(0) : segment;
}

/** RFC 2045 §6.7: CRLF are hard line breaks; lines at most 76 characters, soft breaks `=`. */
export function quotedPrintable(content: Buffer): Buffer {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const eol = content.indexOf(CRLF, start);
    lines.push(encodeLine(content.subarray(start, eol === -1 ? content.length : eol)));
    if (eol === -1) break;
    start = eol + 2;
  }
  return Buffer.from(lines.join(CRLF), "latin1");
}

function encodeLine(bytes: Buffer): string {
  const out: string[] = [];
  let line = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const literal =
      (b >= 33 && b <= 126 && b !== 0x3d) || ((b === 0x20 || b === 0x09) && i < bytes.length - 1);
    const token = literal ? String.fromCharCode(b) : `=${hex(b)}`;
    if (line.length + token.length > 75) {
      out.push(`${line}=`);
      line = "";
    }
    line += token;
  }
  out.push(line);
  return out.join(CRLF);
}

function base64(content: Buffer): Buffer {
  const encoded = content.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return Buffer.from(`${lines.join(CRLF)}${CRLF}`, "latin1");
}

function escapeEightBit(body: Buffer): Buffer {
  return Buffer.from(
    body.toString("latin1").replace(/[\x80-\xff]/g, (c) => `=${hex(c.charCodeAt(0))}`),
    "latin1",
  );
}

function dropEightBit(body: Buffer): Buffer {
  return Buffer.from(body.toString("latin1").replace(/[\x80-\xff]/g, ""), "latin1");
}

function withEncoding(fields: readonly Buffer[], encoding: string): Buffer[] {
  return [
    ...fields.filter((f) => fieldName(f) !== "content-transfer-encoding"),
    Buffer.from(`Content-Transfer-Encoding: ${encoding}${CRLF}`),
  ];
}

function fieldName(field: Buffer): string {
  const colon = field.indexOf(":");
  return colon === -1 ? "" : field.subarray(0, colon).toString("latin1").trim().toLowerCase();
}

/** The unfolded value of the first field of that name. */
function fieldValue(fields: readonly Buffer[], name: string): string | undefined {
  const field = fields.find((f) => fieldName(f) === name);
  if (field === undefined) return undefined;
  const text = field.toString("latin1");
  return text
    .slice(text.indexOf(":") + 1)
    .replace(/\r\n/g, "")
    .trim();
}

function contentType(
  fields: readonly Buffer[],
  defaultType: string,
): { media: string; boundary?: string } {
  const value = fieldValue(fields, "content-type");
  if (value === undefined) return { media: defaultType };
  const media = (value.split(";")[0] ?? "").trim().toLowerCase();
  const boundary = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]+))/i.exec(value);
  const found = boundary?.[1]?.replace(/\\(.)/g, "$1") ?? boundary?.[2];
  return {
    media: media.includes("/") ? media : defaultType,
    ...(found ? { boundary: found } : {}),
  };
}

function hasEightBit(bytes: Buffer): boolean {
  for (const b of bytes) if (b > 0x7f) return true;
  return false;
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function hex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, "0");
}
