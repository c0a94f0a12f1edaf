import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeBase64,
  decodeHeaderValue,
  decodeQuotedPrintable,
  decodeTransfer,
  searchForm,
} from "./encoding.ts";
import { decodeExtended, parseStructured } from "./params.ts";

test("RFC 2047 §8 examples decode as the RFC says", () => {
  const cases: [string, string][] = [
    ["(=?ISO-8859-1?Q?a?=)", "(a)"],
    ["(=?ISO-8859-1?Q?a?= b)", "(a b)"],
    ["(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"],
    ["(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"],
    ["(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"],
    ["(=?ISO-8859-1?Q?a_b?=)", "(a b)"],
    ["(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"],
    ["=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>", "Keith Moore <moore@cs.utk.edu>"],
    [
      "=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
      "André Pirard <PIRARD@vm1.ulg.ac.be>",
    ],
    [
      "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
      "If you can read this you understand the example.",
    ],
    // A multi-byte character split across two words of the same charset.
    ["=?UTF-8?B?w6k=?= =?UTF-8?Q?=C3?= =?UTF-8?Q?=A9?=", "éé"],
    ["=?utf-8*en?Q?hello?=", "hello"],
    ["=?x-unknown?Q?plain?=", "plain"],
    ["raw UTF-8: \u00c3\u00a9", "raw UTF-8: é"],
  ];
  for (const [input, expected] of cases) assert.equal(decodeHeaderValue(input), expected, input);
});

test("quoted-printable and base64 decoding is lenient", () => {
  assert.equal(
    Buffer.from(decodeQuotedPrintable("caf=C3=A9 soft=\r\nbreak =XZ")).toString(),
    "café softbreak =XZ",
  );
  assert.equal(Buffer.from(decodeBase64("aGVs\r\nbG8=")).toString(), "hello");
  assert.equal(Buffer.from(decodeQuotedPrintable("a_b=3F", true)).toString(), "a b?");
  assert.equal(Buffer.from(decodeBase64("aGVsbG8")).toString(), "hello");
});

test("quoted-printable drops transport padding (RFC 2045 §6.7 rule 3), also around soft breaks", () => {
  // Cases from imaptest's fetch-binary-mime-qp: padding at a hard break, before and after "=".
  const crlf = (lines: string[]): string => lines.join("\r\n");
  const input = crlf(["hello  ", "bar=", "", "foo\t=", "bar", "foo\t \t= ", "=62", "x=3Dy=", ""]);
  assert.equal(
    Buffer.from(decodeQuotedPrintable(input)).toString(),
    crlf(["hello", "bar", "foo\tbar", "foo\t \tb", "x=y"]),
  );
  assert.equal(
    Buffer.from(decodeQuotedPrintable("lf \nline=\n\tend")).toString(),
    "lf\r\nline\tend",
  );
  assert.equal(Buffer.from(decodeTransfer("a=20 \r\n", "Quoted-Printable")).toString(), "a \r\n");
});

test("search form folds case and compatibility forms", () => {
  assert.equal(searchForm("ÄBC\u00a0ﬁ"), "äbc fi");
});

test("Content-Type parameters: quoting, comments, RFC 2231 continuations", () => {
  assert.deepEqual(parseStructured('Text/Plain (a comment); Charset="UTF-8" ; format=flowed'), {
    value: "text/plain",
    params: [
      ["Charset", "UTF-8"],
      ["format", "flowed"],
    ],
  });
  const split = parseStructured(
    "application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"",
  );
  assert.deepEqual(split.params, [
    ["title*", "us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't%20it!"],
  ]);
  assert.equal(decodeExtended(split.params[0]?.[1] ?? ""), "This is even more ***fun*** isn't it!");
  assert.deepEqual(parseStructured('attachment; filename*0="long"; filename*1="name.txt"').params, [
    ["filename", "longname.txt"],
  ]);
  assert.equal(decodeExtended("utf-8''%C3%A9t%C3%A9.pdf"), "été.pdf");
  assert.deepEqual(parseStructured(null), { value: "", params: [] });
  assert.deepEqual(parseStructured("text/plain; ; broken; x=1").params, [["x", "1"]]);
});
