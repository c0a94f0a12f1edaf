/**
 * Parses one framed command into tag, name and a token tree (RFC 9051 §9): atoms, quoted
 * strings, literals, parenthesized lists, and the `BODY[section]<partial>` form of FETCH. No
 * I/O and no knowledge of commands: what the tokens mean is each command's business.
 *
 * Lenient where clients are known to differ (runs of spaces, a trailing space, 8-bit octets in
 * atoms); strict where ambiguity would follow (unbalanced parentheses, bad escapes, junk after
 * a literal announcement).
 */
import { MAX_LIST_DEPTH } from "../limits.ts";
import { ParseError } from "./errors.ts";
import type { Frame } from "./framer.ts";
import type { ParsedCommand, Token } from "./tokens.ts";

/** Atoms after which `[` opens a section (FETCH attributes, RFC 9051 §6.4.5, RFC 3516). */
const SECTION_ATOMS = /^(BODY|BODY\.PEEK|BINARY|BINARY\.PEEK|BINARY\.SIZE)$/i;
/** tag = 1*<any ASTRING-CHAR except "+"> */
const TAG = /^[^\x00-\x20\x7f-\xff(){%*"\\+]+$/;
const COMMAND = /^[A-Za-z][A-Za-z0-9-]*$/;

class Cursor {
  #segment = 0;
  #text: string;
  pos = 0;

  constructor(private readonly frame: Frame) {
    this.#text = (frame.segments[0] ?? Buffer.alloc(0)).toString("latin1");
  }

  get text(): string {
    return this.#text;
  }

  /** The current character, or "" at the end of the segment. */
  peek(): string {
    return this.#text.charAt(this.pos);
  }

  atEnd(): boolean {
    return this.pos >= this.#text.length && this.#segment >= this.frame.segments.length - 1;
  }

  /** At the end of a segment that a literal follows: takes it and moves to the next segment. */
  takeLiteral(): Buffer {
    const literal = this.frame.literals[this.#segment];
    const next = this.frame.segments[this.#segment + 1];
    if (!literal || !next) throw new Error("no literal here");
    this.#segment++;
    this.#text = next.toString("latin1");
    this.pos = 0;
    return literal;
  }
}

export function parseCommand(frame: Frame): ParsedCommand {
  const cursor = new Cursor(frame);
  const tag = readWord(cursor);
  if (!TAG.test(tag)) throw new ParseError("Invalid tag", undefined);
  const fail = (message: string): never => {
    throw new ParseError(message, tag);
  };
  if (cursor.peek() !== " ") fail("Missing command");
  cursor.pos++;
  let name = readWord(cursor).toUpperCase();
  if (!COMMAND.test(name)) fail("Invalid command name");
  if (name === "UID") {
    if (cursor.peek() !== " ") fail("Missing command after UID");
    cursor.pos++;
    const sub = readWord(cursor).toUpperCase();
    if (!COMMAND.test(sub)) fail("Invalid command name after UID");
    name = `UID ${sub}`;
  }
  const args: Token[] = [];
  try {
    for (;;) {
      skipSpaces(cursor);
      if (cursor.atEnd()) break;
      args.push(readToken(cursor, 0, false));
      if (!cursor.atEnd() && cursor.peek() !== " ") fail("Expected a space between arguments");
    }
  } catch (error) {
    if (error instanceof ParseError) throw error;
    fail((error as Error).message);
  }
  return { tag, name, args };
}

/** Characters up to a space or the end of the segment. */
function readWord(cursor: Cursor): string {
  const start = cursor.pos;
  while (cursor.pos < cursor.text.length && cursor.text.charAt(cursor.pos) !== " ") cursor.pos++;
  return cursor.text.slice(start, cursor.pos);
}

function skipSpaces(cursor: Cursor): void {
  while (cursor.peek() === " ") cursor.pos++;
}

function readToken(cursor: Cursor, depth: number, inSection: boolean): Token {
  const c = cursor.peek();
  if (c === "(") return readList(cursor, depth + 1, inSection);
  if (c === '"') return { kind: "string", value: readQuoted(cursor), form: "quoted" };
  if (c === "{" || (c === "~" && cursor.text.charAt(cursor.pos + 1) === "{")) {
    const binary = c === "~";
    const rest = cursor.text.slice(cursor.pos);
    if (!/^~?\{\d+\+?\}$/.test(rest)) throw new Error("Invalid literal");
    cursor.pos = cursor.text.length;
    return { kind: "string", value: cursor.takeLiteral(), form: binary ? "literal8" : "literal" };
  }
  if (c === ")" || c === "" || c === " ") throw new Error("Unexpected end of argument");
  return readAtom(cursor, depth, inSection);
}

function readList(cursor: Cursor, depth: number, inSection: boolean): Token {
  if (depth > MAX_LIST_DEPTH) throw new Error("Lists nested too deep");
  cursor.pos++; // "("
  const items: Token[] = [];
  for (;;) {
    skipSpaces(cursor);
    const c = cursor.peek();
    if (c === ")") {
      cursor.pos++;
      return { kind: "list", items };
    }
    if (c === "") throw new Error("Unbalanced parentheses");
    items.push(readToken(cursor, depth, inSection));
    const next = cursor.peek();
    if (next !== " " && next !== ")") throw new Error("Unbalanced parentheses");
  }
}

function readQuoted(cursor: Cursor): Buffer {
  const text = cursor.text;
  let i = cursor.pos + 1;
  let out = "";
  for (;;) {
    if (i >= text.length) throw new Error("Unterminated quoted string");
    const c = text.charAt(i);
    if (c === '"') break;
    if (c === "\\") {
      const next = text.charAt(i + 1);
      if (next !== '"' && next !== "\\") throw new Error("Invalid escape in quoted string");
      out += next;
      i += 2;
      continue;
    }
    if (c === "\0") throw new Error("NUL in quoted string");
    out += c;
    i++;
  }
  cursor.pos = i + 1;
  return Buffer.from(out, "latin1");
}

function readAtom(cursor: Cursor, depth: number, inSection: boolean): Token {
  const text = cursor.text;
  const start = cursor.pos;
  let i = start;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const c = text.charAt(i);
    if (
      c === " " ||
      c === "(" ||
      c === ")" ||
      c === '"' ||
      c === "{" ||
      code < 0x20 ||
      code === 0x7f
    )
      break;
    if (inSection && c === "]") break;
    if (c === "[" && SECTION_ATOMS.test(text.slice(start, i))) break;
  }
  const value = text.slice(start, i);
  if (value === "") throw new Error("Invalid character in atom");
  cursor.pos = i;
  if (cursor.peek() !== "[") return { kind: "atom", value };
  // BODY[section]<partial>
  cursor.pos++;
  const section: Token[] = [];
  for (;;) {
    skipSpaces(cursor);
    if (cursor.peek() === "]") break;
    if (cursor.peek() === "") throw new Error("Unterminated section");
    section.push(readToken(cursor, depth + 1, true));
  }
  cursor.pos++; // "]"
  if (cursor.peek() !== "<") return { kind: "atom", value, section };
  const close = text.indexOf(">", cursor.pos);
  const partial = close < 0 ? "" : text.slice(cursor.pos + 1, close);
  if (!/^\d{1,15}(\.\d{1,15})?$/.test(partial)) throw new Error("Invalid partial range");
  cursor.pos = close + 1;
  return { kind: "atom", value, section, partial };
}
