/**
 * What port 25 logs: one `transaction` line per transaction with the facts operators follow a
 * message by (id, from, to, relay, delay, status, and the queue id when part of it was queued),
 * for mail taken and for mail refused at the end of DATA alike; never the body.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startHarness } from "../testing/harness.ts";
import { Transcript } from "../testing/transcript.ts";

describe("port 25: logging", () => {
  it("logs one transaction line per transaction, with the queue id when it queued", async () => {
    const lines: string[] = [];
    const h = await startHarness({ logTo: { write: (line) => void lines.push(line) } });
    try {
      const t = await Transcript.open({ port: h.ports.smtp });
      await t.expect(220);
      await t.send("EHLO client.remote.test", 250);
      // A group with a remote member: delivered to the MDA, the remote member queued.
      await t.send("MAIL FROM:<x@remote.test>", 250);
      await t.send("RCPT TO:<team@example.test>", 250);
      await t.send("DATA", 354);
      t.write("From: x@remote.test\r\nSubject: logged\r\n\r\nsecret body text\r\n.\r\n");
      await t.expect(250, /queued as \S+$/);
      // Refused at the end of DATA (NUL octets).
      await t.send("MAIL FROM:<y@remote.test>", 250);
      await t.send("RCPT TO:<bob@example.test>", 250);
      await t.send("DATA", 354);
      t.write("From: y@remote.test\r\n\r\na\0b\r\n.\r\n");
      await t.expect(554);
      await t.send("QUIT", 221);
      t.close();
    } finally {
      await h.stop();
    }
    assert.ok(!lines.join("").includes("secret body text"), "the body is not logged");
    const transactions = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.msg === "transaction");
    const pick = (r: Record<string, unknown> | undefined) => ({
      listener: r?.listener,
      from: r?.from,
      to: r?.to,
      relay: r?.relay,
      status: r?.status,
      delay: typeof r?.delay,
      id: typeof r?.id,
      queueId: typeof r?.queueId,
    });
    assert.deepEqual(transactions.map(pick), [
      {
        listener: "smtp",
        from: "x@remote.test",
        to: ["team@example.test"],
        relay: "mda+queue",
        status: "delivered",
        delay: "number",
        id: "string",
        queueId: "string",
      },
      {
        listener: "smtp",
        from: "y@remote.test",
        to: ["bob@example.test"],
        relay: "none",
        status: "refused",
        delay: "number",
        id: "string",
        queueId: "undefined",
      },
    ]);
  });
});
