/**
 * FETCH data items (RFC 9051 §6.4.5; BINARY from RFC 3516, MODSEQ and CHANGEDSINCE/VANISHED
 * from RFC 7162) parsed into typed items. Macros ALL, FAST and FULL expand here.
 */
import { bad } from "../protocol/errors.ts";
import {
  astring,
  isAtom,
  keyword,
  list,
  modseq,
  type AtomToken,
  type Token,
} from "../protocol/tokens.ts";

export type SectionText = "" | "HEADER" | "TEXT" | "MIME" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT";

export interface SectionSpec {
  readonly part: readonly number[];
  readonly text: SectionText;
  /** Header field names of HEADER.FIELDS (.NOT), as the client wrote them. */
  readonly fields: readonly string[];
}

export interface Partial {
  readonly start: number;
  readonly length: number | undefined;
}

export type FetchItem =
  | {
      readonly kind:
        | "FLAGS"
        | "UID"
        | "INTERNALDATE"
        | "RFC822.SIZE"
        | "ENVELOPE"
        | "BODY"
        | "BODYSTRUCTURE"
        | "MODSEQ"
        | "RFC822"
        | "RFC822.HEADER"
        | "RFC822.TEXT";
    }
  | {
      readonly kind: "section";
      readonly peek: boolean;
      readonly section: SectionSpec;
      readonly partial: Partial | undefined;
    }
  | {
      readonly kind: "binary";
      readonly peek: boolean;
      readonly part: readonly number[];
      readonly partial: Partial | undefined;
    }
  | { readonly kind: "binary-size"; readonly part: readonly number[] };

export interface FetchRequest {
  readonly items: readonly FetchItem[];
  /** RFC 7162 CHANGEDSINCE. */
  readonly changedSince: number | undefined;
  /** RFC 7162 §3.2.6 VANISHED (UID FETCH only). */
  readonly vanished: boolean;
}

const SIMPLE = new Set([
  "FLAGS",
  "UID",
  "INTERNALDATE",
  "RFC822.SIZE",
  "ENVELOPE",
  "BODY",
  "BODYSTRUCTURE",
  "MODSEQ",
  "RFC822",
  "RFC822.HEADER",
  "RFC822.TEXT",
]);

const MACROS: Readonly<Record<string, readonly string[]>> = {
  ALL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
  FAST: ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
  FULL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
};

function partNumbers(text: string): number[] {
  if (text === "") return [];
  return text.split(".").map((n) => {
    if (!/^[1-9]\d{0,8}$/.test(n)) throw bad("Invalid section part number");
    return Number(n);
  });
}

function parsePartial(text: string | undefined): Partial | undefined {
  if (text === undefined) return undefined;
  const [start = "0", length] = text.split(".");
  const partial = {
    start: Number(start),
    length: length === undefined ? undefined : Number(length),
  };
  if (partial.length === 0) throw bad("Partial length must be above zero");
  return partial;
}

export function parseSection(tokens: readonly Token[]): SectionSpec {
  if (tokens.length === 0) return { part: [], text: "", fields: [] };
  const first = tokens[0];
  if (!isAtom(first)) throw bad("Invalid section");
  const match = /^((?:\d+\.)*\d+)?\.?(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME)?$/i.exec(
    first.value,
  );
  if (!match || first.value.endsWith(".")) throw bad("Invalid section");
  const part = partNumbers(match[1] ?? "");
  const text = (match[2]?.toUpperCase() ?? "") as SectionText;
  if (text === "MIME" && part.length === 0) throw bad("MIME needs a part number");
  if (text.startsWith("HEADER.FIELDS")) {
    const names = list(tokens[1], "header field names");
    if (tokens.length !== 2 || names.length === 0) throw bad("Invalid header field list");
    return { part, text, fields: names.map((n) => astring(n, "header field name")) };
  }
  if (tokens.length !== 1) throw bad("Invalid section");
  return { part, text, fields: [] };
}

function parseItem(token: Token): FetchItem {
  if (!isAtom(token)) throw bad("Invalid FETCH item");
  const name = token.value.toUpperCase();
  if (token.section === undefined) {
    if (token.partial !== undefined || !SIMPLE.has(name)) throw bad(`Unknown FETCH item ${name}`);
    return { kind: name as "FLAGS" };
  }
  return sectionItem(token, name);
}

function sectionItem(token: AtomToken, name: string): FetchItem {
  const section = token.section ?? [];
  const partial = parsePartial(token.partial);
  switch (name) {
    case "BODY":
    case "BODY.PEEK":
      return {
        kind: "section",
        peek: name === "BODY.PEEK",
        section: parseSection(section),
        partial,
      };
    case "BINARY":
    case "BINARY.PEEK":
    case "BINARY.SIZE": {
      const first = section[0];
      if (section.length > 1 || (first && !isAtom(first))) throw bad("Invalid BINARY section");
      const part = partNumbers(isAtom(first) ? first.value : "");
      if (name === "BINARY.SIZE") {
        if (partial) throw bad("BINARY.SIZE takes no partial");
        return { kind: "binary-size", part };
      }
      return { kind: "binary", peek: name === "BINARY.PEEK", part, partial };
    }
    default:
      throw bad(`Unknown FETCH item ${name}`);
  }
}

/** `items [(CHANGEDSINCE n [VANISHED])]`, items being a macro, one item or a list. */
export function parseFetch(args: readonly Token[], uid: boolean): FetchRequest {
  const [itemsToken, modifiers] = args;
  let items: FetchItem[];
  if (isAtom(itemsToken) && !itemsToken.section && itemsToken.value.toUpperCase() in MACROS) {
    const macro = MACROS[itemsToken.value.toUpperCase()] ?? [];
    items = macro.map((kind) => ({ kind }) as FetchItem);
  } else if (itemsToken?.kind === "list") {
    if (itemsToken.items.length === 0) throw bad("Empty FETCH item list");
    items = itemsToken.items.map(parseItem);
  } else if (itemsToken) {
    items = [parseItem(itemsToken)];
  } else throw bad("Missing FETCH items");
  let changedSince: number | undefined;
  let vanished = false;
  const mods = modifiers ? list(modifiers, "FETCH modifiers") : [];
  for (let i = 0; i < mods.length; i++) {
    const mod = keyword(mods[i], "FETCH modifier");
    if (mod === "CHANGEDSINCE") changedSince = modseq(mods[++i], { allowZero: true });
    else if (mod === "VANISHED" && uid) vanished = true;
    else throw bad(`Unknown FETCH modifier ${mod}`);
  }
  if (vanished && changedSince === undefined) throw bad("VANISHED needs CHANGEDSINCE");
  return { items, changedSince, vanished };
}
