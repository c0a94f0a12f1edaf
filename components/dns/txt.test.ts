import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nameProblem, relativeName, zoneHolding } from "./names.ts";
import { parseTxtPresentation, quoteTxtString, splitTxt, txtPresentation } from "./txt.ts";

describe("TXT strings", () => {
  it("values up to 255 octets stay one string; longer ones split at 255", () => {
    assert.deepEqual(splitTxt(""), [""]);
    assert.deepEqual(splitTxt("a".repeat(255)), ["a".repeat(255)]);
    assert.deepEqual(splitTxt("a".repeat(256)), ["a".repeat(255), "a"]);
    assert.deepEqual(
      splitTxt("b".repeat(600)).map((s) => s.length),
      [255, 255, 90],
    );
  });

  it("never cuts a UTF-8 character in two", () => {
    // 254 ASCII octets then a 2-octet character: it moves to the next string whole.
    const value = `${"a".repeat(254)}é${"z".repeat(3)}`;
    assert.deepEqual(splitTxt(value), ["a".repeat(254), "ézzz"]);
    const emoji = "😀".repeat(100); // 4 octets each
    const parts = splitTxt(emoji);
    assert.ok(parts.every((p) => Buffer.byteLength(p) <= 255 && Buffer.byteLength(p) % 4 === 0));
    assert.equal(parts.join(""), emoji);
  });

  it("quotes and escapes as master files want (RFC 1035 §5.1)", () => {
    assert.equal(quoteTxtString('v=x; a="b" c\\d'), '"v=x; a=\\"b\\" c\\\\d"');
    assert.equal(quoteTxtString("tab\there é"), '"tab\\009here \\195\\169"');
    assert.equal(txtPresentation(["one", "two"]), '"one" "two"');
  });

  it("parses back what it writes", () => {
    const strings = ['a "quoted" \\ value', "é😀\t", "", "plain"];
    assert.deepEqual(parseTxtPresentation(txtPresentation(strings)), strings);
    assert.throws(() => parseTxtPresentation('"open'), SyntaxError);
    assert.throws(() => parseTxtPresentation("bare"), SyntaxError);
  });
});

describe("names", () => {
  it("accepts host names and service labels", () => {
    for (const name of ["example.com", "_dmarc.example.com", "_imaps._tcp.a-b.example", "x"]) {
      assert.equal(nameProblem(name), undefined, name);
    }
  });

  it("refuses what DNS cannot carry (RFC 1035 §2.3.4)", () => {
    const cases: [string, RegExp][] = [
      ["", /empty/],
      ["example.com.", /trailing dot/],
      ["a..example", /empty label/],
      [`${"a".repeat(64)}.example`, /64 octets/],
      [`${"abcdefghi.".repeat(25)}example`, /longer than 253/],
      ["-a.example", /inner hyphens/],
      ["a_b.example", /inner hyphens/],
      ["a b.example", /inner hyphens/],
    ];
    for (const [name, problem] of cases) assert.match(nameProblem(name) ?? "", problem, name);
    assert.equal(
      nameProblem(`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`),
      undefined,
    );
  });

  it("finds the zone holding a name, and names relative to it", () => {
    const zones = ["example.com", "eu.example.com", "example.org"];
    assert.equal(zoneHolding("mail.eu.example.com", zones), "eu.example.com");
    assert.equal(zoneHolding("example.com", zones), "example.com");
    assert.equal(zoneHolding("notexample.com", zones), undefined);
    assert.equal(relativeName("example.com", "example.com"), "@");
    assert.equal(relativeName("_dmarc.example.com", "example.com"), "_dmarc");
  });
});
