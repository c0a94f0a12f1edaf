/**
 * The generic shape of a parsed command (RFC 9051 §9 grammar, before a command gives the tokens
 * their meaning), and typed readers that turn a token into an argument or throw BAD.
 */
import { bad } from "./errors.ts";

export interface AtomToken {
  readonly kind: "atom";
  /** The atom as sent (latin1: one character per octet). */
  readonly value: string;
  /** `BODY[...]`, `BINARY[...]`: what stood between the brackets. */
  readonly section?: readonly Token[];
  /** `<0.100>` after a section, without the angle brackets. */
  readonly partial?: string;
}

export interface StringToken {
  readonly kind: "string";
  readonly value: Buffer;
  /** How it was sent: a quoted string, a literal `{n}`, or a literal8 `~{n}` (RFC 3516). */
  readonly form: "quoted" | "literal" | "literal8";
}

export interface ListToken {
  readonly kind: "list";
  readonly items: readonly Token[];
}

export type Token = AtomToken | StringToken | ListToken;

export interface ParsedCommand {
  readonly tag: string;
  /** Uppercase; "UID FETCH" for the UID forms (RFC 9051 §6.4.9). */
  readonly name: string;
  readonly args: readonly Token[];
}

/** The kinds an argument schema can ask for. */
export type ArgKind = "atom" | "string" | "astring" | "list" | "any";

export function matchesKind(token: Token, kind: ArgKind): boolean {
  switch (kind) {
    case "any":
      return true;
    case "astring":
      return (token.kind === "atom" && token.section === undefined) || token.kind === "string";
    default:
      return token.kind === kind;
  }
}

export function isAtom(token: Token | undefined, value?: string): token is AtomToken {
  return (
    token?.kind === "atom" &&
    (value === undefined || token.value.toUpperCase() === value.toUpperCase())
  );
}

/** An atom's value, uppercase (keywords of the grammar are case-insensitive). */
export function keyword(token: Token | undefined, what = "keyword"): string {
  if (!isAtom(token) || token.section) throw bad(`Expected ${what}`);
  return token.value.toUpperCase();
}

/** ASTRING (RFC 9051 §9): an atom or a string, as octets. */
export function astringBytes(token: Token | undefined, what = "string"): Buffer {
  if (token?.kind === "string") return token.value;
  if (isAtom(token) && !token.section) return Buffer.from(token.value, "latin1");
  throw bad(`Expected ${what}`);
}

/** ASTRING as text: UTF-8 (RFC 9051 allows it in strings; 7-bit text is the same either way). */
export function astring(token: Token | undefined, what = "string"): string {
  return astringBytes(token, what).toString("utf8");
}

/** A string token (quoted or literal) as text, or NIL when `nil` allows it. */
export function nstring(token: Token | undefined, what = "string"): string | null {
  if (isAtom(token, "NIL")) return null;
  if (token?.kind === "string") return token.value.toString("utf8");
  throw bad(`Expected ${what} or NIL`);
}

export function list(token: Token | undefined, what = "list"): readonly Token[] {
  if (token?.kind !== "list") throw bad(`Expected ${what} in parentheses`);
  return token.items;
}

/** RFC 9051 number: 0..2^32-1; nz-number excludes 0. */
export function number(
  token: Token | undefined,
  options: { nonZero?: boolean; max?: number } = {},
) {
  const value = isAtom(token) && /^\d{1,20}$/.test(token.value) ? Number(token.value) : NaN;
  const max = options.max ?? 0xffffffff;
  if (!Number.isSafeInteger(value) || value > max || (options.nonZero && value === 0)) {
    throw bad(`Expected a number${options.nonZero ? " above zero" : ""}`);
  }
  return value;
}

/** RFC 7162 mod-sequence-value: 1..2^63-1, kept to safe JavaScript integers. */
export function modseq(token: Token | undefined, options: { allowZero?: boolean } = {}): number {
  return number(token, { nonZero: !options.allowZero, max: Number.MAX_SAFE_INTEGER });
}
