import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ParseError } from "./errors.ts";
import type { Frame } from "./framer.ts";
import { parseCommand } from "./parser.ts";
import type { Token } from "./tokens.ts";

function frame(...parts: string[]): Frame {
  const segments = parts.filter((_, i) => i % 2 === 0).map((s) => Buffer.from(s, "latin1"));
  const literals = parts.filter((_, i) => i % 2 === 1).map((s) => Buffer.from(s, "latin1"));
  return { segments, literals };
}

/** Tokens in a compact notation: atoms bare, strings quoted, lists in parentheses. */
function show(tokens: readonly Token[]): string {
  return tokens
    .map((t) => {
      if (t.kind === "list") return `(${show(t.items)})`;
      if (t.kind === "string")
        return `${t.form === "quoted" ? "" : t.form}"${t.value.toString("latin1")}"`;
      const section = t.section ? `[${show(t.section)}]` : "";
      return `${t.value}${section}${t.partial ? `<${t.partial}>` : ""}`;
    })
    .join(" ");
}

const CASES: readonly [input: string[], tag: string, name: string, args: string][] = [
  [["a1 NOOP"], "a1", "NOOP", ""],
  [["a1 noop  "], "a1", "NOOP", ""],
  [['x LOGIN alice "pass word"'], "x", "LOGIN", 'alice "pass word"'],
  [['x LOGIN "a\\"b\\\\c" d'], "x", "LOGIN", '"a"b\\c" d'],
  [["x LOGIN {5}", "alice", " {3+}", "p w", ""], "x", "LOGIN", 'literal"alice" literal"p w"'],
  [
    ["x APPEND INBOX (\\Seen $Junk) ~{3}", "a\0b", ""],
    "x",
    "APPEND",
    'INBOX (\\Seen $Junk) literal8"a\0b"',
  ],
  [
    ["t UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100>)"],
    "t",
    "UID FETCH",
    "1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100>)",
  ],
  [["t FETCH 1 BODY[]"], "t", "FETCH", "1 BODY[]"],
  [
    ["t FETCH 2 (BINARY.PEEK[1.2] BINARY.SIZE[3])"],
    "t",
    "FETCH",
    "2 (BINARY.PEEK[1.2] BINARY.SIZE[3])",
  ],
  [["t SELECT [Gmail]/Sent"], "t", "SELECT", "[Gmail]/Sent"],
  [['t LIST "" %'], "t", "LIST", '"" %'],
  [["t SEARCH OR (FROM x) NOT SEEN 1:3,$"], "t", "SEARCH", "OR (FROM x) NOT SEEN 1:3,$"],
  [["t ID NIL"], "t", "ID", "NIL"],
  [["t SEARCH ()"], "t", "SEARCH", "()"],
];

describe("parseCommand", () => {
  for (const [input, tag, name, args] of CASES) {
    it(`parses ${JSON.stringify(input.join("⏎"))}`, () => {
      const parsed = parseCommand(frame(...input));
      assert.equal(parsed.tag, tag);
      assert.equal(parsed.name, name);
      assert.equal(show(parsed.args), args);
    });
  }

  const BAD: readonly [input: string, tag: string | undefined][] = [
    ["", undefined],
    ["a+b NOOP", undefined],
    ["(x NOOP", undefined],
    ["a", "a"],
    ["a LOG(IN", "a"],
    ["a LOGIN (alice", "a"],
    ["a LOGIN alice)", "a"],
    ['a LOGIN "alice', "a"],
    ['a LOGIN "al\\ice" x', "a"],
    ["a FETCH 1 BODY[HEADER", "a"],
    ["a FETCH 1 BODY[]<1.x>", "a"],
    ["a UID", "a"],
    ["a LOGIN {5}x", "a"],
    ["a SEARCH " + "(".repeat(40) + "ALL" + ")".repeat(40), "a"],
  ];
  for (const [input, tag] of BAD) {
    it(`refuses ${JSON.stringify(input.slice(0, 40))}`, () => {
      assert.throws(
        () => parseCommand(frame(input)),
        (error) => error instanceof ParseError && error.tag === tag,
      );
    });
  }
});
