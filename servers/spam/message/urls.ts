/**
 * Links in text and the parts of a URL that analyzers judge: the host as a browser would reach
 * it, and how the author tried to hide it (RFC 3986 §3.2 userinfo before the host, percent-
 * encoded host characters, IPv4 written as one decimal, hex or octal number).
 */
import { isIP } from "node:net";

const MAX_LINKS = 500;
/** http(s)/ftp URLs and bare www. names; stops at whitespace, quotes and angle brackets. */
const LINK = /\b(?:(?:https?|ftp):\/\/|www\.)[^\s<>"'`{}|\\^\[\]]+/gi;

export function linksInText(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(LINK)) {
    out.push(m[0].replace(/[.,;:!?)]+$/, ""));
    if (out.length >= MAX_LINKS) break;
  }
  return out;
}

export interface UrlFacts {
  /** The host a browser would contact, lowercase; IPv4 in dotted form when it was numeric. */
  readonly host: string;
  readonly scheme: string;
  readonly path: string;
  /** The host is an IP address (in any notation). */
  readonly ipLiteral: boolean;
  /** What was done to hide the host: "userinfo", "percent-host", "numeric-ip". */
  readonly obfuscation: readonly string[];
}

/** Parses a link as found in a message; undefined for mailto:, cid: and unparsable text. */
export function urlFacts(link: string): UrlFacts | undefined {
  let text = link.trim();
  if (/^www\./i.test(text)) text = `http://${text}`;
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/i.exec(text);
  if (!m) return undefined;
  const scheme = (m[1] ?? "").toLowerCase();
  let authority = m[2] ?? "";
  const obfuscation: string[] = [];
  const at = authority.lastIndexOf("@");
  if (at >= 0) {
    // http://www.bank.example@198.51.100.7/ shows one name and goes to another host.
    if (/[a-z0-9-]+\.[a-z]{2,}/i.test(authority.slice(0, at))) obfuscation.push("userinfo");
    authority = authority.slice(at + 1);
  }
  let host = authority.replace(/:\d*$/, "");
  if (host.includes("%")) {
    try {
      host = decodeURIComponent(host);
      obfuscation.push("percent-host");
    } catch {
      return undefined;
    }
  }
  host = host.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  let ipLiteral = isIP(host) !== 0;
  if (!ipLiteral) {
    const dotted = numericIpv4(host);
    if (dotted !== undefined) {
      host = dotted;
      ipLiteral = true;
      obfuscation.push("numeric-ip");
    }
  }
  if (host === "") return undefined;
  return { host, scheme, path: m[3] ?? "", ipLiteral, obfuscation };
}

/**
 * IPv4 written the way inet_aton accepts and browsers follow: one to four parts, each decimal,
 * 0x-hex or 0-octal (http://3232235777/, http://0xC0.0250.1.1/). Plain dotted decimal is not
 * obfuscation and returns undefined, as does anything that is not an address.
 */
export function numericIpv4(host: string): string | undefined {
  const parts = host.split(".");
  if (parts.length > 4 || parts.some((p) => !/^(0x[0-9a-f]*|[0-9]+)$/i.test(p))) return undefined;
  if (parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p))) return undefined;
  const values = parts.map((p) =>
    /^0x/i.test(p)
      ? parseInt(p.slice(2) || "0", 16)
      : /^0[0-7]+$/.test(p)
        ? parseInt(p, 8)
        : Number(p),
  );
  if (values.some((v) => !Number.isFinite(v))) return undefined;
  const last = values.pop() ?? 0;
  if (values.some((v) => v > 255) || last >= 256 ** (4 - values.length)) return undefined;
  let n = last;
  values.forEach((v, i) => (n += v * 256 ** (3 - i)));
  return [24, 16, 8, 0].map((s) => (n / 2 ** s) & 255).join(".");
}

/**
 * The registrable part of a host name, approximated without the Public Suffix List: the last
 * two labels, or three when the second-level label is a common public one (co.uk, com.au).
 */
export function baseDomain(host: string): string {
  const labels = host.toLowerCase().replace(/\.$/, "").split(".");
  if (labels.length <= 2 || isIP(host) !== 0) return labels.join(".");
  const second = labels.at(-2) ?? "";
  const take =
    /^(co|com|net|org|gov|edu|ac|ne|or|go|gob|nic|ltd|plc)$/.test(second) &&
    (labels.at(-1)?.length ?? 0) === 2
      ? 3
      : 2;
  return labels.slice(-take).join(".");
}
