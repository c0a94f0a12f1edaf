/**
 * Content-Type and Content-Disposition values: a token (or type/subtype) and parameters
 * (RFC 2045 §5.1, RFC 2183), with comments skipped (RFC 5322 CFWS) and RFC 2231 continuations
 * (`name*0`, `name*1*`) joined into one parameter.
 */

export type Params = readonly (readonly [name: string, value: string])[];

export interface StructuredValue {
  /** Lowercased; "" when missing. */
  readonly value: string;
  readonly params: Params;
}

/** Skips whitespace and (nested) comments from `i`; returns the next index. */
function skipCfws(s: string, i: number): number {
  for (;;) {
    while (i < s.length && /\s/.test(s.charAt(i))) i++;
    if (s.charAt(i) !== "(") return i;
    let depth = 0;
    while (i < s.length) {
      const c = s.charAt(i);
      if (c === "\\") i++;
      else if (c === "(") depth++;
      else if (c === ")" && --depth === 0) {
        i++;
        break;
      }
      i++;
    }
  }
}

/** Reads a quoted string starting at the opening quote; returns its content and the next index. */
export function readQuoted(s: string, i: number): [string, number] {
  let out = "";
  i++;
  while (i < s.length) {
    const c = s.charAt(i);
    if (c === "\\" && i + 1 < s.length) {
      out += s.charAt(i + 1);
      i += 2;
      continue;
    }
    if (c === '"') return [out, i + 1];
    out += c;
    i++;
  }
  return [out, i];
}

/** A token ends at whitespace, tspecials (RFC 2045 §5.1) or a comment. */
function readToken(s: string, i: number, stops: string): [string, number] {
  const start = i;
  while (i < s.length && !stops.includes(s.charAt(i)) && !/\s/.test(s.charAt(i))) i++;
  return [s.slice(start, i), i];
}

export function parseStructured(header: string | null): StructuredValue {
  if (header === null) return { value: "", params: [] };
  let i = skipCfws(header, 0);
  let value: string;
  [value, i] = readToken(header, i, ";(");
  // "text / plain" with spaces is obsolete but seen; join around the slash.
  i = skipCfws(header, i);
  if (header.charAt(i) === "/" && !value.includes("/")) {
    const [sub, next] = readToken(header, skipCfws(header, i + 1), ";(");
    value = `${value}/${sub}`;
    i = next;
  }
  const raw: [string, string][] = [];
  for (;;) {
    i = skipCfws(header, i);
    if (i >= header.length) break;
    if (header.charAt(i) !== ";") {
      i++; // garbage between parameters: skip a char and resynchronise on the next ';'
      continue;
    }
    i = skipCfws(header, i + 1);
    let name: string;
    [name, i] = readToken(header, i, ";=(");
    i = skipCfws(header, i);
    if (header.charAt(i) !== "=" || name === "") continue;
    i = skipCfws(header, i + 1);
    let paramValue: string;
    if (header.charAt(i) === '"') [paramValue, i] = readQuoted(header, i);
    else [paramValue, i] = readToken(header, i, ";(");
    raw.push([name, paramValue]);
  }
  return { value: value.toLowerCase(), params: joinContinuations(raw) };
}

/**
 * RFC 2231 §3: `title*0*=us-ascii'en'This%20is; title*1*=%20fun` becomes one `title*` parameter
 * holding `us-ascii'en'This%20is%20fun` (still encoded, as an IMAP client expects to decode it);
 * unencoded continuations become one plain parameter.
 */
function joinContinuations(raw: readonly (readonly [string, string])[]): Params {
  const out: [string, string][] = [];
  const sections = new Map<string, { parts: Map<number, [string, boolean]>; at: number }>();
  for (const [name, value] of raw) {
    const match = /^(.+?)\*(\d+)(\*?)$/.exec(name);
    if (!match) {
      out.push([name, value]);
      continue;
    }
    const base = match[1] ?? name;
    const key = base.toLowerCase();
    let entry = sections.get(key);
    if (!entry) {
      entry = { parts: new Map(), at: out.length };
      sections.set(key, entry);
      out.push([base, ""]); // placeholder keeps the parameter's position
    }
    entry.parts.set(Number(match[2]), [value, match[3] === "*"]);
  }
  for (const entry of sections.values()) {
    const placeholder = out[entry.at];
    if (!placeholder) continue;
    const ordered = [...entry.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
    const extended = ordered[0]?.[1] ?? false;
    // Once any section is encoded, plain sections are percent-encoded so the whole value is one
    // RFC 2231 extended value.
    const joined = ordered
      .map(([v, encoded]) => (extended && !encoded ? encodeURIComponent(v) : v))
      .join("");
    out[entry.at] = [extended ? `${placeholder[0]}*` : placeholder[0], joined];
  }
  return out;
}

/** The value of a parameter (case-insensitive name), RFC 2231-decoded to text, or null. */
export function paramValue(params: Params, name: string, decode = true): string | null {
  const lower = name.toLowerCase();
  for (const [n, v] of params) {
    if (n.toLowerCase() === lower) return v;
    if (n.toLowerCase() === `${lower}*`) return decode ? decodeExtended(v) : v;
  }
  return null;
}

/** RFC 2231 §4 `charset'language'percent-encoded`. */
export function decodeExtended(value: string): string {
  const match = /^([^']*)'[^']*'(.*)$/s.exec(value);
  if (!match) return value;
  const bytes: number[] = [];
  const text = match[2] ?? "";
  for (let i = 0; i < text.length; i++) {
    if (text.charAt(i) === "%" && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i) & 0xff);
  }
  return decodeCharset(Uint8Array.from(bytes), match[1] || "us-ascii");
}

/** Bytes in a named charset to text; unknown charsets fall back to UTF-8 then Latin-1. */
export function decodeCharset(bytes: Uint8Array, charset: string): string {
  const label = charset.trim().toLowerCase();
  if (label === "" || label === "us-ascii" || label === "ascii" || label === "utf-8") {
    return decodeUtf8Lenient(bytes);
  }
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return decodeUtf8Lenient(bytes);
  }
}

function decodeUtf8Lenient(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder("windows-1252").decode(bytes);
  }
}
