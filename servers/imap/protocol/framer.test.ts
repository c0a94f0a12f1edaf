import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_LINE_BYTES } from "../limits.ts";
import { Framer, type FrameEvent } from "./framer.ts";

const limit = (command: string) => (command === "APPEND" ? 1000 : 10);

function events(framer: Framer): string[] {
  const out: string[] = [];
  for (;;) {
    const e: FrameEvent = framer.next();
    if (e.kind === "more") return out;
    if (e.kind === "frame") {
      out.push(
        `frame ${e.frame.segments.map((s) => JSON.stringify(s.toString())).join(" | ")}` +
          (e.frame.literals.length
            ? ` literals ${e.frame.literals.map((l) => JSON.stringify(l.toString())).join(" ")}`
            : ""),
      );
    } else if (e.kind === "continue") out.push(`continue ${e.size}`);
    else if (e.kind === "reject") out.push(`reject ${e.tag} ${e.command} ${e.size}`);
    else {
      out.push(`fatal ${e.text}`);
      return out;
    }
  }
}

describe("Framer", () => {
  it("cuts lines, also in pieces and with bare LF", () => {
    const f = new Framer(limit);
    f.push(Buffer.from("a NOOP\r\nb NO"));
    assert.deepEqual(events(f), ['frame "a NOOP"']);
    f.push(Buffer.from("OP\nc"));
    assert.deepEqual(events(f), ['frame "b NOOP"']);
  });

  it("asks for a synchronizing literal and reads it, even split", () => {
    const f = new Framer(limit);
    f.push(Buffer.from("a LOGIN {5}\r\n"));
    assert.deepEqual(events(f), ["continue 5"]);
    f.push(Buffer.from("al"));
    assert.deepEqual(events(f), []);
    f.push(Buffer.from("ice {2+}\r\npw\r\n"));
    assert.deepEqual(events(f), ['frame "a LOGIN {5}" | " {2+}" | "" literals "alice" "pw"']);
  });

  it("refuses an oversized synchronizing literal before the client sends it", () => {
    const f = new Framer(limit);
    f.push(Buffer.from("a LOGIN {11}\r\nb NOOP\r\n"));
    assert.deepEqual(events(f), ["reject a LOGIN 11", 'frame "b NOOP"']);
  });

  it("reads and drops an oversized non-synchronizing literal and the rest of its command", () => {
    const f = new Framer(limit);
    f.push(Buffer.from("a LOGIN {11+}\r\n0123456789A {3+}\r\nxyz\r\nb NOOP\r\n"));
    assert.deepEqual(events(f), ["reject a LOGIN 11", 'frame "b NOOP"']);
  });

  it("gives APPEND its own limit", () => {
    const f = new Framer(limit);
    f.push(Buffer.from("a APPEND INBOX {500+}\r\n" + "x".repeat(500) + "\r\n"));
    assert.equal(events(f).length, 1);
  });

  it("ends the session on an absurd literal announcement or an overlong line", () => {
    const f = new Framer(limit);
    f.push(Buffer.from("a APPEND INBOX {99999999999999999999+}\r\n"));
    assert.deepEqual(events(f), ["fatal Literal too big"]);
    const g = new Framer(limit);
    g.push(Buffer.alloc(MAX_LINE_BYTES + 10, 0x61));
    assert.deepEqual(events(g), ["fatal Line too long"]);
  });

  it("hands out raw lines for AUTHENTICATE and IDLE", () => {
    const f = new Framer(limit);
    f.push(Buffer.from("DONE\r\nb NOOP\r\n"));
    assert.equal(String(f.nextLine()), "DONE");
    assert.deepEqual(events(f), ['frame "b NOOP"']);
  });
});
