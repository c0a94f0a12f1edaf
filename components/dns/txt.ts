/**
 * TXT values and the character-strings DNS carries them in. A TXT RDATA is a sequence of
 * <character-string>s of at most 255 octets each (RFC 1035 §3.3, §3.3.14); SPF, DKIM and DMARC
 * readers join them without separators (RFC 7208 §3.3, RFC 6376 §3.6.2.2), so a long value is
 * cut anywhere, here at the last whole UTF-8 character before the limit.
 */
import type { DnsRecord, DnsRecordBase } from "./types.ts";

/** RFC 1035 §3.3: a <character-string> is a length octet followed by at most 255 octets. */
export const TXT_STRING_MAX_OCTETS = 255;

export type TxtRecord = Extract<DnsRecord, { type: "TXT" }>;

/** Splits `value` into ≤255-octet strings without cutting a UTF-8 character in two. */
export function splitTxt(value: string): string[] {
  if (value === "") return [""];
  const strings: string[] = [];
  let current = "";
  let octets = 0;
  for (const char of value) {
    const size = Buffer.byteLength(char, "utf8");
    if (octets + size > TXT_STRING_MAX_OCTETS) {
      strings.push(current);
      current = "";
      octets = 0;
    }
    current += char;
    octets += size;
  }
  strings.push(current);
  return strings;
}

/** A TXT record whose `strings` are `value` split as DNS requires. */
export function txtRecord(base: DnsRecordBase, value: string): TxtRecord {
  return { ...base, type: "TXT", value, strings: splitTxt(value) };
}

/**
 * One character-string in master-file form (RFC 1035 §5.1): quoted, `"` and `\` escaped, and any
 * octet outside printable ASCII written as `\DDD`, so the text survives any transport.
 */
export function quoteTxtString(text: string): string {
  let out = '"';
  for (const octet of Buffer.from(text, "utf8")) {
    if (octet === 0x22 || octet === 0x5c) out += `\\${String.fromCharCode(octet)}`;
    else if (octet >= 0x20 && octet <= 0x7e) out += String.fromCharCode(octet);
    else out += `\\${octet.toString().padStart(3, "0")}`;
  }
  return `${out}"`;
}

/**
 * The strings of a TXT record as master-file text: `"part1" "part2"`. Zone files use it, and so
 * does Cloudflare, whose API wants TXT content as quoted character-strings of ≤255 octets.
 */
export function txtPresentation(strings: readonly string[]): string {
  return strings.map(quoteTxtString).join(" ");
}

/**
 * Parses master-file TXT text back into its strings: the inverse of `txtPresentation`, used by
 * tests to check the round trip and by anyone reading Cloudflare's content back.
 */
export function parseTxtPresentation(text: string): string[] {
  const strings: string[] = [];
  let i = 0;
  const bad = (why: string): SyntaxError =>
    new SyntaxError(`bad TXT text at ${i}: ${why}: ${text}`);
  while (i < text.length) {
    if (text[i] === " ") {
      i++;
      continue;
    }
    if (text[i] !== '"') throw bad('expected "');
    i++;
    const octets: number[] = [];
    for (;;) {
      const code = text.codePointAt(i);
      if (code === undefined) throw bad("unterminated string");
      const char = String.fromCodePoint(code);
      if (char === '"') break;
      if (char === "\\") {
        const escaped = /^(\d{3}|[^\d])/u.exec(text.slice(i + 1));
        if (!escaped?.[1]) throw bad("bad escape");
        const decimal = /^\d{3}$/.test(escaped[1]);
        octets.push(...(decimal ? [Number(escaped[1])] : Buffer.from(escaped[1], "utf8")));
        i += 1 + escaped[1].length;
        continue;
      }
      octets.push(...Buffer.from(char, "utf8"));
      i += char.length;
    }
    i++;
    strings.push(Buffer.from(octets).toString("utf8"));
  }
  return strings;
}
