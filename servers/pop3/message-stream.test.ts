/** Byte-stuffing and TOP's line counting (RFC 1939 §3, §7), with vectors and properties. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DotStuffer } from "./message-stream.ts";

/** Runs the stuffer over `input` cut at `cuts`, returns the wire text. */
function stuff(input: string, bodyLines?: number, cuts: number[] = []): string {
  const bytes = Buffer.from(input, "latin1");
  const stuffer = new DotStuffer(bodyLines);
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b)]) {
    if (!stuffer.done) out.push(stuffer.push(bytes.subarray(from, cut)));
    from = cut;
  }
  if (!stuffer.done) out.push(stuffer.push(bytes.subarray(from)));
  out.push(stuffer.finish());
  return Buffer.concat(out).toString("latin1");
}

/** What a client does with the wire text: lines up to ".", un-stuffed. */
function unstuff(wire: string): string[] {
  assert.ok(
    wire.endsWith("\r\n.\r\n") || wire === ".\r\n",
    `bad terminator: ${JSON.stringify(wire)}`,
  );
  const lines = wire.slice(0, -3).split("\r\n");
  lines.pop(); // the empty string after the last CRLF
  return lines.map((l) => {
    assert.ok(l !== ".", "a lone dot inside the body");
    return l.startsWith(".") ? l.slice(1) : l;
  });
}

describe("DotStuffer vectors", () => {
  const cases: [string, string, number | undefined, string][] = [
    ["empty message", "", undefined, ".\r\n"],
    ["plain", "A: b\r\n\r\nbody\r\n", undefined, "A: b\r\n\r\nbody\r\n.\r\n"],
    ["dots", ".\r\n..x\r\n", undefined, "..\r\n...x\r\n.\r\n"],
    ["no final newline", "A: b\r\n\r\nend", undefined, "A: b\r\n\r\nend\r\n.\r\n"],
    ["bare LF", "A: b\n\n.x\n", undefined, "A: b\r\n\r\n..x\r\n.\r\n"],
    ["final CR", "A: b\r\n\r\nx\r", undefined, "A: b\r\n\r\nx\r\n.\r\n"],
    ["TOP 0", "A: b\r\nC: d\r\n\r\n1\r\n2\r\n", 0, "A: b\r\nC: d\r\n\r\n.\r\n"],
    ["TOP 1", "A: b\r\n\r\n1\r\n2\r\n", 1, "A: b\r\n\r\n1\r\n.\r\n"],
    ["TOP past the end", "A: b\r\n\r\n1\r\n2", 5, "A: b\r\n\r\n1\r\n2\r\n.\r\n"],
    ["TOP of a header-only message", "A: b\r\n", 3, "A: b\r\n.\r\n"],
    ["TOP of a body-only message", "\r\n1\r\n2\r\n", 1, "\r\n1\r\n.\r\n"],
  ];
  for (const [name, input, lines, expected] of cases) {
    it(name, () => {
      assert.equal(stuff(input, lines), expected);
      // Every cut position gives the same bytes.
      for (let cut = 1; cut < input.length; cut++) {
        assert.equal(stuff(input, lines, [cut]), expected, `cut at ${cut}`);
      }
    });
  }
});

describe("DotStuffer properties", () => {
  const line = fc.stringMatching(/^[.a-z \t\x80-\xff]{0,12}$/);
  const messageArb = fc.record({
    header: fc.array(
      line.filter((l) => l !== ""),
      { maxLength: 4 },
    ),
    body: fc.array(line, { maxLength: 8 }),
    eol: fc.constantFrom("\r\n", "\n"),
    cuts: fc.array(fc.nat(200), { maxLength: 6 }),
  });

  it("a client reading RETR gets the message's lines back, however it was sliced", () => {
    fc.assert(
      fc.property(messageArb, ({ header, body, eol, cuts }) => {
        const lines = [...header, "", ...body];
        const input = lines.map((l) => l + eol).join("");
        assert.deepEqual(unstuff(stuff(input, undefined, cuts)), lines);
      }),
    );
  });

  it("TOP n gives the header, the blank line and min(n, body) lines", () => {
    fc.assert(
      fc.property(messageArb, fc.nat(10), ({ header, body, eol, cuts }, n) => {
        const input = [...header, "", ...body].map((l) => l + eol).join("");
        const expected = [...header, "", ...body.slice(0, n)];
        assert.deepEqual(unstuff(stuff(input, n, cuts)), expected);
      }),
    );
  });
});
