/**
 * One parse of the message for every analyzer: header fields decoded (RFC 2047), the text a
 * reader sees in each text part (transfer encoding and charset undone, HTML reduced to text and
 * links), attachments with their names and sizes, and every link found.
 *
 * The MIME tree comes from the store's parser (servers/store/mime), which bounds hostile nesting.
 * Text is bounded too: a part contributes at most MAX_TEXT_CHARS to what analyzers read.
 */
import { decodeHeaderValue, decodeTransfer } from "../../store/mime/encoding.ts";
import { parseAddressList, type Address } from "../../store/mime/address.ts";
import { unfold } from "../../store/mime/header.ts";
import { parseMessage, type MimePart } from "../../store/mime/mime-tree.ts";
import { decodeCharset, paramValue } from "../../store/mime/params.ts";
import { htmlToText, type HtmlLink } from "./html.ts";
import { linksInText } from "./urls.ts";

/** Characters of decoded text kept per part; the rest of a huge part says nothing new. */
const MAX_TEXT_CHARS = 200_000;
/** Bytes of an attachment kept for analyzers that look inside (archives). */
const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;

export interface Field {
  /** Lowercase name. */
  readonly name: string;
  /** Unfolded and RFC 2047-decoded. */
  readonly value: string;
  /** As written after the colon, folding kept (binary string). */
  readonly raw: string;
}

export interface TextPart {
  readonly subtype: "plain" | "html";
  /** What a reader sees: for HTML, the text without tags. */
  readonly text: string;
  /** For HTML: the markup itself (bounded), for tag-level checks. */
  readonly html?: string;
  readonly charset: string;
  readonly encoding: string;
  /** Index of the multipart/alternative this part belongs to, if any. */
  readonly alternative?: number;
}

export interface Attachment {
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
  /** The decoded content, up to MAX_ATTACHMENT_BYTES. */
  readonly content: Uint8Array;
}

export interface Link {
  readonly url: string;
  /** The text shown for the link (HTML anchors only). */
  readonly text?: string;
  readonly source: "text" | "href" | "img";
}

export interface MailMessage {
  readonly raw: Buffer;
  readonly fields: readonly Field[];
  /** Bytes of the header block. */
  readonly headerBytes: number;
  readonly parts: readonly TextPart[];
  readonly attachments: readonly Attachment[];
  readonly links: readonly Link[];
  /** Every leaf's media type, e.g. "text/plain", in order. */
  readonly leafTypes: readonly string[];
  header(name: string): string | undefined;
  headers(name: string): string[];
  addresses(name: string): Address[];
}

export function parseMail(raw: Buffer): MailMessage {
  const parsed = parseMessage(raw);
  const fields: Field[] = parsed.fields.map((f) => ({
    name: f.name.toLowerCase(),
    value: decodeHeaderValue(unfold(f.raw)),
    raw: f.raw,
  }));
  const parts: TextPart[] = [];
  const attachments: Attachment[] = [];
  const links: Link[] = [];
  const leafTypes: string[] = [];
  const state = { alternatives: 0 };

  const visit = (part: MimePart, alternative: number | undefined): void => {
    if (part.children) {
      const group = part.subtype === "alternative" ? state.alternatives++ : alternative;
      for (const child of part.children) visit(child, group);
      return;
    }
    if (part.message) {
      visit(part.message.root, undefined);
      return;
    }
    leafTypes.push(`${part.type}/${part.subtype}`);
    const body = parsed.binary.slice(part.bodyStart, part.bodyEnd);
    const filename = attachmentName(part);
    const isText = part.type === "text" && (part.subtype === "plain" || part.subtype === "html");
    if (isText && (filename === undefined || part.disposition?.type !== "attachment")) {
      const charset = paramValue(part.params, "charset") ?? "us-ascii";
      const bytes = decodeTransfer(body, part.encoding ?? null);
      const decoded = decodeCharset(bytes, charset).slice(0, MAX_TEXT_CHARS);
      const encoding = (part.encoding ?? "7bit").trim().toLowerCase();
      if (part.subtype === "html") {
        const html = htmlToText(decoded);
        parts.push({
          subtype: "html",
          text: html.text,
          html: decoded,
          charset,
          encoding,
          alternative,
        });
        links.push(...html.links.map(toLink));
        for (const url of linksInText(html.text)) links.push({ url, source: "text" });
      } else {
        parts.push({ subtype: "plain", text: decoded, charset, encoding, alternative });
        for (const url of linksInText(decoded)) links.push({ url, source: "text" });
      }
      return;
    }
    if (filename !== undefined || part.type !== "text") {
      const content = decodeTransfer(body, part.encoding ?? null);
      attachments.push({
        filename: filename ?? "",
        contentType: `${part.type}/${part.subtype}`,
        size: content.byteLength,
        content: content.subarray(0, MAX_ATTACHMENT_BYTES),
      });
    }
  };
  visit(parsed.root, undefined);

  const header = (name: string): string | undefined => {
    const lower = name.toLowerCase();
    return fields.find((f) => f.name === lower)?.value;
  };
  const headers = (name: string): string[] => {
    const lower = name.toLowerCase();
    return fields.filter((f) => f.name === lower).map((f) => f.value);
  };
  const addresses = (name: string): Address[] => {
    const lower = name.toLowerCase();
    const field = parsed.fields.find((f) => f.name.toLowerCase() === lower);
    return field ? (parseAddressList(unfold(field.raw)) ?? []) : [];
  };
  return {
    raw,
    fields,
    headerBytes: parsed.root.bodyStart,
    parts,
    attachments,
    links,
    leafTypes,
    header,
    headers,
    addresses,
  };
}

function toLink(link: HtmlLink): Link {
  return link.text === undefined
    ? { url: link.url, source: link.kind }
    : { url: link.url, text: link.text, source: link.kind };
}

function attachmentName(part: MimePart): string | undefined {
  const fromDisposition = part.disposition && paramValue(part.disposition.params, "filename");
  const name = fromDisposition ?? paramValue(part.params, "name");
  return name === null || name === undefined ? undefined : decodeHeaderValue(name);
}

/** The domain of an address, lowercase, without brackets; undefined when there is none. */
export function addressDomain(address: string | Address | undefined): string | undefined {
  if (address === undefined) return undefined;
  const host =
    typeof address === "string" ? address.slice(address.lastIndexOf("@") + 1) : address.host;
  if (!host || (typeof address === "string" && !address.includes("@"))) return undefined;
  return host.toLowerCase().replace(/\.$/, "");
}
