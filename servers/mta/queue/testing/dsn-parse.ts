/**
 * Test support: reads a DSN back structurally (no mail parser is installed): the top header,
 * the multipart/report parts, and the message/delivery-status fields as records.
 */
export interface ParsedPart {
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface ParsedDsn {
  readonly headers: Record<string, string>;
  readonly parts: readonly ParsedPart[];
  readonly perMessage: Record<string, string>;
  readonly perRecipient: readonly Record<string, string>[];
}

/** Header fields, unfolded, keys in lower case. */
export function parseHeader(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return fields;
}

function split(text: string): { head: string; body: string } {
  const end = text.indexOf("\r\n\r\n");
  return end === -1
    ? { head: text, body: "" }
    : { head: text.slice(0, end), body: text.slice(end + 4) };
}

export function parseDsn(raw: Buffer | string): ParsedDsn {
  const text = raw.toString();
  if (/(^|[^\r])\n/.test(text)) throw new Error("bare LF in the DSN: lines must end with CRLF");
  const { head, body } = split(text);
  const headers = parseHeader(head);
  const boundary = /boundary="([^"]+)"/.exec(headers["content-type"] ?? "")?.[1];
  if (!boundary) throw new Error(`no boundary in ${headers["content-type"]}`);
  const closing = `\r\n--${boundary}--`;
  if (!body.includes(closing)) throw new Error("no closing boundary");
  const sections = body.slice(0, body.indexOf(closing)).split(`--${boundary}\r\n`).slice(1);
  const parts = sections.map((section) => {
    const p = split(section.replace(/\r\n$/, ""));
    return { headers: parseHeader(p.head), body: p.body };
  });
  const status = parts.find((p) => p.headers["content-type"] === "message/delivery-status");
  const groups = (status?.body ?? "")
    .trim()
    .split(/\r\n\r\n/)
    .map(parseHeader);
  return { headers, parts, perMessage: groups[0] ?? {}, perRecipient: groups.slice(1) };
}
