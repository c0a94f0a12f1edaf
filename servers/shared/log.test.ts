import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { connectionLogger, createLogger, transcriptLine } from "./log.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, destination };
}

describe("logging", () => {
  it("tags lines with the server and, per connection, an id and the peer", () => {
    const { lines, destination } = capture();
    const log = createLogger("imap", { level: "info", destination });
    const a = connectionLogger(log, "192.0.2.1");
    const b = connectionLogger(log, "192.0.2.2");
    a.info("hello");
    b.info("hello");
    assert.equal(lines[0]?.server, "imap");
    assert.equal(lines[0]?.remote, "192.0.2.1");
    assert.equal(typeof lines[0]?.cid, "string");
    assert.notEqual(lines[0]?.cid, lines[1]?.cid);
  });

  it("never writes passwords, hashes or keys, at any level", () => {
    const { lines, destination } = capture();
    const log = createLogger("mta", { level: "trace", destination });
    log.trace(
      { password: "hunter2", user: { pass: "hunter3", passwordHash: "$argon2id$x" } },
      "auth",
    );
    log.info(
      { directory: { bindPassword: "s3cret" }, tls: { key: "-----BEGIN PRIVATE KEY" } },
      "config",
    );
    const text = JSON.stringify(lines);
    for (const secret of ["hunter2", "hunter3", "$argon2id$x", "s3cret", "BEGIN PRIVATE KEY"]) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    assert.match(text, /\[redacted\]/);
  });

  it("masks credentials in protocol transcript lines", () => {
    const cases: [string, string][] = [
      ["AUTH PLAIN AGFsaWNlAHNlY3JldA==", "AUTH PLAIN [redacted]"],
      ["a1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==", "a1 AUTHENTICATE PLAIN [redacted]"],
      ['a2 LOGIN alice "my secret"', "a2 LOGIN alice [redacted]"],
      ["PASS letmein", "PASS [redacted]"],
      ["MAIL FROM:<alice@example.test>", "MAIL FROM:<alice@example.test>"],
      ["a3 SELECT INBOX", "a3 SELECT INBOX"],
    ];
    for (const [line, expected] of cases) assert.equal(transcriptLine(line), expected);
    assert.equal(
      transcriptLine("AGFsaWNlAHNlY3JldA==", { authContinuation: true }),
      "[credentials redacted]",
    );
  });
});
