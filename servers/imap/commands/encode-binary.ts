/**
 * RFC 3516 §4.3: a message appended with binary content (NUL octets) must still be served by
 * BODY[] and RFC822, whose literals may not carry NUL (RFC 9051 §4.3). As Dovecot does, such
 * parts are stored base64-encoded with their Content-Transfer-Encoding changed; BINARY[] then
 * decodes them back to the octets the client sent. Messages without NUL pass through untouched.
 */

const CRLF = "\r\n";

interface Entity {
  readonly header: string;
  readonly body: string;
}

/** Splits at the first empty line (CRLF or bare LF). Works on binary strings (latin1). */
function splitEntity(s: string): Entity {
  const match = /\r?\n\r?\n/.exec(s);
  if (!match) return { header: s, body: "" };
  return {
    header: s.slice(0, match.index + match[0].length),
    body: s.slice(match.index + match[0].length),
  };
}

/** An unfolded header field's value, or undefined. */
function field(header: string, name: string): string | undefined {
  const unfolded = header.replace(/\r?\n[ \t]+/g, " ");
  const match = new RegExp(`^${name}:[ \\t]*(.*)$`, "im").exec(unfolded);
  return match?.[1]?.trim();
}

function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

function base64Lines(body: string): string {
  const encoded = Buffer.from(body, "latin1").toString("base64");
  return (encoded.match(/.{1,76}/g) ?? []).join(CRLF) + CRLF;
}

function encodeEntity(s: string, depth: number): string {
  if (!s.includes("\0") || depth > 20) return s;
  const { header, body } = splitEntity(s);
  const type = (field(header, "Content-Type") ?? "text/plain").toLowerCase();
  const boundary = type.startsWith("multipart/")
    ? boundaryOf(field(header, "Content-Type") ?? "")
    : undefined;
  if (boundary) {
    const delimiter = new RegExp(
      `(^|\\r?\\n)(--${boundary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:--)?[ \\t]*(?:\\r?\\n|$))`,
    );
    const pieces: string[] = [];
    let rest = body;
    let first = true;
    for (;;) {
      const match = delimiter.exec(rest);
      if (!match) {
        pieces.push(first ? rest : encodeEntity(rest, depth + 1));
        break;
      }
      const part = rest.slice(0, match.index);
      pieces.push(first ? part : encodeEntity(part, depth + 1), match[1] ?? "", match[2] ?? "");
      rest = rest.slice(match.index + match[0].length);
      first = false;
    }
    return header + pieces.join("");
  }
  if (type.startsWith("message/rfc822")) return header + encodeEntity(body, depth + 1);
  if (!body.includes("\0")) return s;
  const kept = header
    .replace(/\r?\n\r?\n$/, "")
    .split(/\r?\n(?![ \t])/)
    .filter((line) => !/^content-transfer-encoding:/i.test(line));
  return `${[...kept, "Content-Transfer-Encoding: base64"].join(CRLF)}${CRLF}${CRLF}${base64Lines(body)}`;
}

export function encodeBinaryParts(raw: Buffer): Buffer {
  if (!raw.includes(0)) return raw;
  return Buffer.from(encodeEntity(raw.toString("latin1"), 0), "latin1");
}
