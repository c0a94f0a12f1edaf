import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeMutf7, encodeMutf7 } from "./mutf7.ts";

test("modified UTF-7 examples from RFC 3501 §5.1.3 and common names", () => {
  const cases: [string, string][] = [
    ["~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"],
    ["Entw\u00fcrfe", "Entw&APw-rfe"],
    ["Tom & Jerry", "Tom &- Jerry"],
    ["INBOX", "INBOX"],
    ["\u{1f600} smile", "&2D3eAA- smile"],
  ];
  for (const [text, encoded] of cases) {
    assert.equal(encodeMutf7(text), encoded, text);
    assert.equal(decodeMutf7(encoded), text, encoded);
  }
});

test("decode(encode(name)) is the name, for any string", () => {
  fc.assert(fc.property(fc.string({ unit: "grapheme" }), (s) => decodeMutf7(encodeMutf7(s)) === s));
});
