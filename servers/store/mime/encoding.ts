/**
 * Undoing the encodings of RFC 2045 (quoted-printable, base64) and RFC 2047 (encoded words in
 * header values), so SEARCH and SORT compare the text a reader sees.
 */
import { binaryToText } from "./header.ts";
import { decodeCharset } from "./params.ts";

/** RFC 2045 §6.8, lenient: characters outside the alphabet are ignored, padding optional. */
export function decodeBase64(binary: string): Uint8Array {
  return Buffer.from(binary.replace(/[^A-Za-z0-9+/]/g, ""), "base64");
}

const isHex = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** Writes `=XX` escapes of s[start, end) decoded into out at n; returns the new n. */
function decodeEscapes(
  s: string,
  start: number,
  end: number,
  out: Buffer,
  n: number,
  header: boolean,
): number {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (
      c === 61 /* = */ &&
      i + 2 < end &&
      isHex(s.charCodeAt(i + 1)) &&
      isHex(s.charCodeAt(i + 2))
    ) {
      out[n++] = parseInt(s.slice(i + 1, i + 3), 16);
      i += 2;
    } else {
      // RFC 2047 §4.2: in the Q encoding "_" stands for a space. A malformed "=" is kept
      // (RFC 2045 §6.7, note (2)).
      out[n++] = header && c === 95 ? 32 : c & 0xff;
    }
  }
  return n;
}

/**
 * RFC 2045 §6.7, line by line: white space at the end of an encoded line is transport padding
 * and removed (rule 3), also after the "=" of a soft line break (white space before that "=" is
 * data: it is how an encoder keeps trailing spaces); "=" at the end of a line joins it to the
 * next (rule 5); `=XX` is an octet (rule 1). A hard line break is a CRLF in canonical form,
 * whether it arrived as CRLF or LF. With `header`, the RFC 2047 Q form of an encoded word (no
 * lines, "_" for space).
 */
export function decodeQuotedPrintable(binary: string, header = false): Uint8Array {
  if (header) {
    const out = Buffer.allocUnsafe(binary.length);
    return out.subarray(0, decodeEscapes(binary, 0, binary.length, out, 0, true));
  }
  let lines = 1;
  for (let lf = binary.indexOf("\n"); lf >= 0; lf = binary.indexOf("\n", lf + 1)) lines++;
  const out = Buffer.allocUnsafe(binary.length + lines);
  let n = 0;
  let start = 0;
  for (;;) {
    const lf = binary.indexOf("\n", start);
    const last = lf < 0;
    let end = last ? binary.length : lf;
    if (!last && end > start && binary.charCodeAt(end - 1) === 13) end--;
    while (end > start && (binary.charCodeAt(end - 1) === 32 || binary.charCodeAt(end - 1) === 9)) {
      end--;
    }
    const soft = end > start && binary.charCodeAt(end - 1) === 61;
    n = decodeEscapes(binary, start, soft ? end - 1 : end, out, n, false);
    if (last) break;
    if (!soft) {
      out[n++] = 13;
      out[n++] = 10;
    }
    start = lf + 1;
  }
  return out.subarray(0, n);
}

/** A body in its transfer encoding (binary string) to bytes. */
export function decodeTransfer(binary: string, encoding: string | null): Uint8Array {
  switch ((encoding ?? "").trim().toLowerCase()) {
    case "base64":
      return decodeBase64(binary);
    case "quoted-printable":
      return decodeQuotedPrintable(binary);
    default:
      return Buffer.from(binary, "latin1");
  }
}

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/**
 * RFC 2047 §6: decodes encoded words in a header value (a binary string); whitespace between two
 * adjacent encoded words is dropped (§6.2), raw 8-bit text is read as UTF-8 (RFC 6532).
 * Adjacent words in the same charset are joined before decoding, as senders split multi-byte
 * characters across words.
 */
export function decodeHeaderValue(binary: string): string {
  if (!binary.includes("=?")) return binaryToText(binary);
  let out = "";
  let last = 0;
  const state: { pending: { charset: string; bytes: number[] } | null } = { pending: null };
  const flush = (): void => {
    const { pending } = state;
    if (pending) out += decodeCharset(Uint8Array.from(pending.bytes), pending.charset);
    state.pending = null;
  };
  for (const match of binary.matchAll(ENCODED_WORD)) {
    const between = binary.slice(last, match.index);
    const adjacent = state.pending !== null && /^[ \t\r\n]*$/.test(between);
    if (!adjacent) {
      flush();
      out += binaryToText(between);
    }
    // RFC 2231 §5 allows a language suffix: =?utf-8*en?Q?...?=
    const charset = (match[1] ?? "").split("*")[0]?.toLowerCase() ?? "";
    const text = match[3] ?? "";
    const bytes =
      (match[2] ?? "").toUpperCase() === "B"
        ? decodeBase64(text)
        : decodeQuotedPrintable(text, true);
    const current = state.pending;
    if (current && current.charset === charset) current.bytes.push(...bytes);
    else {
      flush();
      state.pending = { charset, bytes: [...bytes] };
    }
    last = match.index + match[0].length;
  }
  flush();
  out += binaryToText(binary.slice(last));
  return out;
}

/**
 * The form SEARCH compares: NFKC and lowercase, an approximation of the i;unicode-casemap
 * comparator (RFC 5051) that IMAP4rev2 asks for (RFC 9051 §6.4.4).
 */
export function searchForm(text: string): string {
  return text.normalize("NFKC").toLowerCase();
}
