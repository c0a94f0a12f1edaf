/**
 * Port 25 under Postfix's own load client, `smtp-source` (Debian postfix): several sessions,
 * several messages each, every one delivered once into the store. Counts only, no timing.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startHarness, type Harness } from "../testing/harness.ts";

const SESSIONS = 4;
const MESSAGES = 40;

let h: Harness;
before(async () => {
  h = await startHarness({ limits: { messagesPerMinute: 0 } });
});
after(() => h.stop());

describe("port 25: Postfix's smtp-source", () => {
  it(`delivers ${MESSAGES} messages over ${SESSIONS} sessions, each once`, async () => {
    // -d: several messages per connection; -l: message size; -S: the subject.
    await promisify(execFile)("/usr/sbin/smtp-source", [
      ...["-s", String(SESSIONS), "-m", String(MESSAGES), "-d", "-l", "1024"],
      ...["-f", "load@remote.test", "-t", "bob@example.test", "-S", "smtp-source load"],
      `127.0.0.1:${h.ports.smtp}`,
    ]);
    const got = (await h.messages("bob@example.test")).filter((m) =>
      m.includes("Subject: smtp-source load"),
    );
    assert.equal(got.length, MESSAGES);
  });
});
