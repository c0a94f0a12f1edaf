/** DATA's end and dot-stuffing, with the message cut into chunks at every possible place. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DataReader, unstuff } from "./data-reader.ts";

/** Feeds `wire` in pieces cut at `cuts`; returns the message and what followed its end. */
function read(wire: string, cuts: readonly number[], max = 1_000_000) {
  const reader = new DataReader(max);
  const points = [0, ...cuts, wire.length];
  for (let i = 0; i + 1 < points.length; i++) {
    const rest = reader.push(Buffer.from(wire.slice(points[i], points[i + 1]), "latin1"));
    if (rest !== undefined) {
      const after = Buffer.concat([rest, Buffer.from(wire.slice(points[i + 1]), "latin1")]);
      return { message: reader.message(max)?.toString("latin1"), after: after.toString("latin1") };
    }
  }
  return undefined;
}

describe("DataReader", () => {
  const cases: [string, string, string][] = [
    // wire after the DATA line, message, what follows
    [".\r\n", "", ""],
    [".\r\nQUIT\r\n", "", "QUIT\r\n"],
    ["a\r\n.\r\n", "a\r\n", ""],
    [
      "Subject: x\r\n\r\nbody\r\n.\r\nMAIL FROM:<>\r\n",
      "Subject: x\r\n\r\nbody\r\n",
      "MAIL FROM:<>\r\n",
    ],
    ["..leading\r\n.\r\n", ".leading\r\n", ""],
    ["a\r\n..\r\n...b\r\n.\r\n", "a\r\n.\r\n..b\r\n", ""],
    // A bare LF around the dot does not end the message (SMTP smuggling).
    ["a\n.\r\nb\r\n.\n\r\nc\r\n.\r\n", "a\n.\r\nb\r\n\n\r\nc\r\n", ""],
  ];
  for (const [wire, message, after] of cases) {
    it(`reads ${JSON.stringify(wire)} cut anywhere`, () => {
      for (let a = 0; a <= wire.length; a++) {
        for (let b = a; b <= wire.length; b++) {
          assert.deepEqual(read(wire, [a, b]), { message, after }, `cut at ${a}, ${b}`);
        }
      }
    });
  }

  it("waits while the end has not come", () => {
    assert.equal(read("a\r\n.", []), undefined);
    assert.equal(read("a\r\n.\r", []), undefined);
  });

  it("drops a message over the limit but still finds its end", () => {
    const big = `${"x".repeat(100)}\r\n.\r\nNOOP\r\n`;
    assert.deepEqual(read(big, [10, 50], 50), { message: undefined, after: "NOOP\r\n" });
    // Exactly at the limit is accepted.
    assert.deepEqual(read(big, [10], 102), {
      message: `${"x".repeat(100)}\r\n`,
      after: "NOOP\r\n",
    });
  });

  it("unstuffs only dots at the start of a line", () => {
    assert.equal(unstuff(Buffer.from("a.b\r\n.c\r\n")).toString(), "a.b\r\nc\r\n");
    const plain = Buffer.from("no dots\r\n");
    assert.equal(unstuff(plain), plain, "nothing to do: no copy");
  });
});
