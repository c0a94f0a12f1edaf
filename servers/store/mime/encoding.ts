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

/** RFC 2045 §6.7: `=XX` escapes, soft line breaks (`=` at line end) removed. */
export function decodeQuotedPrintable(binary: string, header = false): Uint8Array {
  const out = Buffer.allocUnsafe(binary.length);
  let n = 0;
  for (let i = 0; i < binary.length; i++) {
    const c = binary.charCodeAt(i);
    if (c === 61 /* = */) {
      const hex = binary.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        out[n++] = parseInt(hex, 16);
        i += 2;
        continue;
      }
      const soft = /^[ \t]*\r?\n/.exec(binary.slice(i + 1, i + 80));
      if (soft) {
        i += soft[0].length;
        continue;
      }
    }
    // RFC 2047 §4.2: in the Q encoding "_" stands for a space.
    out[n++] = header && c === 95 ? 32 : c & 0xff;
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
