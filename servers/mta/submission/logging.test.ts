/**
 * What the MTA logs of a submission: one transaction line with the classic facts, the protocol
 * transcript at trace, and never a password, an AUTH payload or a message body.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PASSWORD, startHarness } from "../testing/harness.ts";
import { b64, plain, Transcript } from "../testing/transcript.ts";

describe("submission: logging", () => {
  it("logs one line per transaction and never the password, even at trace", async () => {
    const lines: string[] = [];
    const logged = await startHarness({ logTo: { write: (line) => void lines.push(line) } });
    try {
      const t = await Transcript.open({ port: logged.ports.submissions, tlsCa: logged.caCert });
      await t.expect(220);
      await t.send("EHLO mua.example.test", 250);
      await t.send(`AUTH PLAIN ${plain("bob@example.test", "wrong horse")}`, 535);
      await t.send("AUTH LOGIN", 334);
      await t.send(b64("bob@example.test"), 334);
      await t.send(b64(PASSWORD), 235);
      await t.send("MAIL FROM:<bob@example.test>", 250);
      await t.send("RCPT TO:<alice@example.test>", 250);
      await t.send("DATA", 354);
      t.write("From: bob@example.test\r\nSubject: logged\r\n\r\nsecret body text\r\n.\r\n");
      await t.expect(250);
      t.close();
    } finally {
      await logged.stop();
    }
    const all = lines.join("");
    for (const secret of [
      PASSWORD,
      "wrong horse",
      b64(PASSWORD),
      plain("bob@example.test", "wrong horse"),
      "secret body text",
    ]) {
      assert.ok(!all.includes(secret), `"${secret}" must not be logged`);
    }
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(
      records.some((r) => r.level === 10),
      "the transcript is there at trace",
    );
    const transactions = records.filter((r) => r.msg === "transaction");
    assert.equal(transactions.length, 1);
    assert.deepEqual(
      Object.keys(transactions[0] ?? {})
        .filter((k) =>
          ["id", "from", "to", "relay", "delay", "status", "reply", "user", "cid"].includes(k),
        )
        .sort(),
      ["cid", "delay", "from", "id", "relay", "reply", "status", "to", "user"],
    );
    assert.equal(transactions[0]?.status, "delivered");
  });
});
