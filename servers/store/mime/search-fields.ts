/**
 * What SEARCH and SORT compare, computed once at append time from the parsed message: decoded
 * header values in search form, RFC 5256 sort keys, the sent date, the threading ids and the
 * decoded text of the text parts (capped, since body search needs the words, not every byte).
 */
import { parseAddressList, type Address } from "./address.ts";
import { parseRfc5322Date } from "./date.ts";
import { decodeHeaderValue, decodeTransfer, searchForm } from "./encoding.ts";
import { headerValue, unfold, type HeaderField } from "./header.ts";
import type { MimePart, ParsedMessage } from "./mime-tree.ts";
import { decodeCharset, paramValue } from "./params.ts";
import { baseSubject } from "./subject.ts";

/** Body text kept per message for BODY/TEXT search, in characters. */
export const MAX_BODY_TEXT = 256 * 1024;

export interface SearchFields {
  readonly sentTime: number | null;
  readonly sentZone: number | null;
  /** Search forms (decoded, NFKC, lowercase) of the common SEARCH header keys. */
  readonly subject: string;
  readonly from: string;
  readonly to: string;
  readonly cc: string;
  readonly bcc: string;
  /** Every header field as "name: value" lines in search form, for HEADER and TEXT. */
  readonly headers: string;
  /**
   * Decoded text of the text/* parts in search form, at most MAX_BODY_TEXT characters; empty
   * when `bodyIsRaw`.
   */
  readonly body: string;
  /**
   * True when the body text would be the message's body bytes as they are, lowercased: a
   * single text/plain part without transfer encoding in an ASCII-compatible charset, whose
   * bytes are all printable ASCII, at most MAX_BODY_TEXT of them. `body` is then left empty
   * (not computed), and a backend searches the stored body instead of keeping a second copy.
   */
  readonly bodyIsRaw: boolean;
  /** RFC 5256 sort keys (i;ascii-casemap: ASCII letters uppercased). */
  readonly sortSubject: string;
  readonly sortFrom: string;
  readonly sortTo: string;
  readonly sortCc: string;
  /** RFC 5957 DISPLAYFROM/DISPLAYTO keys (i;unicode-casemap approximated by search form). */
  readonly sortDisplayFrom: string;
  readonly sortDisplayTo: string;
  /** Base subject as decoded text, for THREAD. */
  readonly baseSubject: string;
  readonly messageId: string | null;
  /** References then In-Reply-To ids (no angle brackets), oldest first, without duplicates. */
  readonly references: readonly string[];
}

function asciiUpper(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

function decoded(fields: readonly HeaderField[], name: string): string {
  const value = headerValue(fields, name);
  return value === null ? "" : decodeHeaderValue(value);
}

function firstMailbox(list: readonly Address[] | null): Address | undefined {
  return list?.find((a) => a.host !== null);
}

function displayKey(list: readonly Address[] | null): string {
  const first = firstMailbox(list);
  if (!first) return "";
  // RFC 5957 §3: the decoded display name, or else the addr-spec.
  const name = first.name === null ? "" : decodeHeaderValue(first.name).trim();
  return searchForm(name !== "" ? name : `${first.mailbox ?? ""}@${first.host ?? ""}`);
}

function messageIds(value: string | null): string[] {
  if (value === null) return [];
  return [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1] ?? "").filter((id) => id !== "");
}

export function searchFields(parsed: ParsedMessage): SearchFields {
  const { fields } = parsed;
  const subject = decoded(fields, "Subject");
  const from = parseAddressList(headerValue(fields, "From"));
  const to = parseAddressList(headerValue(fields, "To"));
  const cc = parseAddressList(headerValue(fields, "Cc"));
  const date = parseRfc5322Date(headerValue(fields, "Date"));
  const base = baseSubject(subject);
  const references = [
    ...messageIds(headerValue(fields, "References")),
    ...messageIds(headerValue(fields, "In-Reply-To")).slice(0, 1),
  ];
  return {
    sentTime: date?.time ?? null,
    sentZone: date?.zoneMinutes ?? null,
    subject: searchForm(subject),
    from: searchForm(decoded(fields, "From")),
    to: searchForm(decoded(fields, "To")),
    cc: searchForm(decoded(fields, "Cc")),
    bcc: searchForm(decoded(fields, "Bcc")),
    headers: fields
      .map((f) => `${f.name.toLowerCase()}: ${searchForm(decodeHeaderValue(unfold(f.raw)))}`)
      .join("\n"),
    ...bodyText(parsed),
    sortSubject: asciiUpper(base),
    sortFrom: asciiUpper(firstMailbox(from)?.mailbox ?? ""),
    sortTo: asciiUpper(firstMailbox(to)?.mailbox ?? ""),
    sortCc: asciiUpper(firstMailbox(cc)?.mailbox ?? ""),
    sortDisplayFrom: displayKey(from),
    sortDisplayTo: displayKey(to),
    baseSubject: base,
    messageId: messageIds(headerValue(fields, "Message-ID"))[0] ?? null,
    references: [...new Set(references)],
  };
}

/** Printable ASCII and the usual whitespace: text that NFKC leaves as it is. */
const PLAIN_ASCII = /^[\t\n\r\x20-\x7e]*$/;

/**
 * searchForm for body text, which is most of the work of an append for large messages: ASCII is
 * its own NFKC form, so it only needs lowercasing (one fiftieth of the time for 100 KB); other
 * text is cut to twice the room left before normalizing (NFKC rarely more than halves a text).
 */
function bodySearchForm(text: string, room: number): string {
  if (PLAIN_ASCII.test(text)) return text.slice(0, room).toLowerCase();
  return searchForm(text.length > 2 * room ? text.slice(0, 2 * room) : text).slice(0, room);
}

/** Charsets in which printable ASCII bytes decode to the same characters. */
const ASCII_CHARSETS = /^(us-ascii|ascii|utf-8|iso-8859-\d+|windows-125\d)$/;

/** Whether the body text of `parsed` is its raw body, lowercased (see SearchFields.bodyIsRaw). */
function rawBodyIsText(parsed: ParsedMessage): boolean {
  const root = parsed.root;
  if (root.type !== "text" || root.subtype !== "plain" || root.children || root.message) {
    return false;
  }
  if (/^(base64|quoted-printable)$/i.test(root.encoding?.trim() ?? "")) return false;
  const charset = (paramValue(root.params, "charset") ?? "us-ascii").trim().toLowerCase();
  if (!ASCII_CHARSETS.test(charset)) return false;
  if (root.bodyEnd - root.bodyStart > MAX_BODY_TEXT) return false;
  return PLAIN_ASCII.test(parsed.binary.slice(root.bodyStart, root.bodyEnd));
}

function bodyText(parsed: ParsedMessage): { body: string; bodyIsRaw: boolean } {
  if (rawBodyIsText(parsed)) return { body: "", bodyIsRaw: true };
  const pieces: string[] = [];
  let length = 0;
  const visit = (part: MimePart): void => {
    if (length >= MAX_BODY_TEXT) return;
    if (part.children) {
      for (const child of part.children) visit(child);
      return;
    }
    if (part.message) {
      visit(part.message.root);
      return;
    }
    if (part.type !== "text") return;
    const bytes = decodeTransfer(
      parsed.binary.slice(part.bodyStart, part.bodyEnd),
      part.encoding ?? null,
    );
    let text = decodeCharset(bytes, paramValue(part.params, "charset") ?? "us-ascii");
    if (part.subtype === "html") text = htmlToText(text);
    text = bodySearchForm(text, MAX_BODY_TEXT - length);
    pieces.push(text);
    length += text.length;
  };
  visit(parsed.root);
  return { body: pieces.join("\n"), bodyIsRaw: false };
}

/** HTML 4 Latin-1 entities (U+00A0 to U+00FF, in order) plus the common punctuation ones. */
const LATIN1 =
  "nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn " +
  "sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave " +
  "Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml " +
  "ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN " +
  "szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave " +
  "iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc " +
  "uuml yacute thorn yuml";
const ENTITIES = new Map<string, string>([
  ["amp", "&"],
  ["lt", "<"],
  ["gt", ">"],
  ["quot", '"'],
  ["apos", "'"],
  ["euro", "\u20ac"],
  ["hellip", "\u2026"],
  ["ndash", "\u2013"],
  ["mdash", "\u2014"],
  ["lsquo", "\u2018"],
  ["rsquo", "\u2019"],
  ["ldquo", "\u201c"],
  ["rdquo", "\u201d"],
  ["bull", "\u2022"],
  ["trade", "\u2122"],
  ...LATIN1.split(" ").map((name, i): [string, string] => [name, String.fromCharCode(0xa0 + i)]),
]);

/** Enough HTML-to-text for searching: no tags, scripts or styles; common entities decoded. */
function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
      if (name.startsWith("#x") || name.startsWith("#X")) {
        return codePoint(parseInt(name.slice(2), 16));
      }
      if (name.startsWith("#")) return codePoint(Number(name.slice(1)));
      return ENTITIES.get(name) ?? ENTITIES.get(name.toLowerCase()) ?? entity;
    })
    .replace(/[ \t]+/g, " ");
}

function codePoint(n: number): string {
  return Number.isInteger(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : " ";
}
