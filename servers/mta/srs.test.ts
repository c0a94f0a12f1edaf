/**
 * SRS (srs.ts): the rewriting rules on a clock; then on port 25, mail to a group with a member
 * at another domain leaves with our SRS sender, which passes SPF (mailauth, DNS injected) where
 * the original sender fails; a bounce to that address goes back to the original sender, a forged
 * or stale one is refused; and the queue's own DSN for forwarded mail reaches the original sender.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { spf } from "mailauth/lib/spf/index.js";
import type { Deliverer } from "./outbound/delivery.ts";
import { silentLog } from "./outbound/testing/net.ts";
import { openQueue, queueConfigSchema } from "./queue/index.ts";
import { waitFor } from "./queue/testing/wait.ts";
import { startHarness, type Harness } from "./testing/harness.ts";
import { Transcript } from "./testing/transcript.ts";
import { returnPath, SRS_MAX_AGE_DAYS, srsForward, srsReverse, type SrsKeys } from "./srs.ts";

const DAY = 86_400_000;
const keys: SrsKeys = { secrets: ["new-secret-0123456789"], domain: "example.test" };
const ours = ["example.test", "other.test"];

describe("SRS rules", () => {
  const now = Date.UTC(2026, 10, 30);

  it("rewrites a foreign sender into our domain and back", () => {
    const srs = srsForward("Alice.Smith@Sender.example", keys, ours, now);
    assert.match(
      srs,
      /^SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=Sender\.example=Alice\.Smith@example\.test$/,
    );
    assert.deepEqual(srsReverse(srs, keys, now), {
      kind: "ok",
      address: "Alice.Smith@Sender.example",
    });
    assert.deepEqual(srsReverse(srs.toLowerCase(), keys, now), {
      kind: "ok",
      address: "alice.smith@sender.example",
    });
  });
  it("leaves the null sender and our own domains alone", () => {
    assert.equal(srsForward("", keys, ours, now), "");
    assert.equal(srsForward("bob@other.test", keys, ours, now), "bob@other.test");
  });
  it("keeps an = in the original local part", () => {
    const srs = srsForward("a=b@sender.example", keys, ours, now);
    assert.deepEqual(srsReverse(srs, keys, now), { kind: "ok", address: "a=b@sender.example" });
  });
  it("refuses a forged hash, an unknown secret and an old address; honours retired secrets", () => {
    const srs = srsForward("alice@sender.example", keys, ours, now);
    const forged = srs.replace(/^SRS0=..../, "SRS0=AAAA");
    assert.deepEqual(srsReverse(forged, keys, now), { kind: "invalid" });
    assert.deepEqual(srsReverse("SRS0=xx@example.test", keys, now), { kind: "invalid" });
    const other = { ...keys, secrets: ["another-secret-0123456789"] };
    assert.deepEqual(srsReverse(srs, other, now), { kind: "invalid" });
    const rotated = { ...keys, secrets: ["another-secret-0123456789", ...keys.secrets] };
    assert.equal(srsReverse(srs, rotated, now)?.kind, "ok");
    assert.equal(srsReverse(srs, keys, now + SRS_MAX_AGE_DAYS * DAY)?.kind, "ok");
    assert.deepEqual(srsReverse(srs, keys, now + (SRS_MAX_AGE_DAYS + 1) * DAY), {
      kind: "expired",
    });
    assert.equal(srsReverse("alice@example.test", keys, now), undefined, "not SRS");
    assert.equal(returnPath(srs, keys), "alice@sender.example");
    assert.equal(returnPath(forged, keys), forged);
    assert.equal(returnPath(srs, undefined), srs);
  });
});

describe("SRS on port 25", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ srs: true, limits: { messagesPerMinute: 0 } });
    // The receiver's view: our MTA (127.0.0.1) may send for example.test, not for remote.test.
    h.publish("example.test", "v=spf1 ip4:127.0.0.1 -all");
    h.publish("remote.test", "v=spf1 ip4:192.0.2.1 -all");
  });
  after(() => h.stop());

  async function send(from: string, to: string, body: string, code = 250): Promise<string> {
    const t = await Transcript.open({ port: h.ports.smtp });
    await t.expect(220);
    await t.send("EHLO mx.remote.test", 250);
    await t.send(`MAIL FROM:<${from}>`, 250);
    const rcpt = await t.send(`RCPT TO:<${to}>`, code);
    if (code !== 250) {
      t.close();
      return rcpt.text;
    }
    await t.send("DATA", 354);
    t.write(
      `From: ${from || "MAILER-DAEMON@remote.test"}\r\nSubject: ${body}\r\n\r\n${body}\r\n.\r\n`,
    );
    const reply = await t.expect(250);
    t.close();
    return reply.text;
  }

  const spfFor = async (sender: string) =>
    (
      await spf({
        sender,
        ip: "127.0.0.1",
        helo: "mail.example.test",
        mta: "mx.elsewhere.test",
        resolver: h.resolver,
      })
    ).status.result;

  it("forwards to a group's remote member with our SRS sender, which passes SPF there", async () => {
    await send("x@remote.test", "team@example.test", "forwarded");
    const queued = h.enqueued.at(-1)!;
    assert.deepEqual(queued.recipients, [{ address: "friend@remote.test" }]);
    assert.match(queued.from, /^SRS0=[^=]{4}=[A-Z2-7]{2}=remote\.test=x@example\.test$/);
    assert.equal(await spfFor(queued.from), "pass");
    assert.equal(await spfFor("x@remote.test"), "fail", "what forwarding without SRS gives");
  });

  it("passes a bounce to that address on to the original sender", async () => {
    const srs = h.enqueued.at(-1)!.from;
    const reply = await send("", srs.toLowerCase(), "bounce");
    assert.match(reply, /^2\.0\.0 Ok: queued as /);
    const queued = h.enqueued.at(-1)!;
    assert.deepEqual([queued.from, queued.recipients], ["", [{ address: "x@remote.test" }]]);
  });

  it("refuses a forged or stale SRS address with 550 5.1.1, relaying nothing", async () => {
    const before = h.enqueued.length;
    const forged = "SRS0=AAAA=AB=victim.test=someone@example.test";
    assert.match(await send("", forged, "", 550), /^5\.1\.1 /);
    assert.equal(h.enqueued.length, before);
  });
});

describe("SRS and the queue's own DSNs", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mailstack-srs-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("sends the DSN for forwarded mail to the original sender", async () => {
    // The forwarded message fails for good; anything else (the DSN) waits, so it can be seen.
    const deliverer: Deliverer = {
      deliver: (job) =>
        Promise.resolve(
          new Map(
            job.recipients.map((r) => [
              r.index,
              r.recipient.address === "friend@remote.test"
                ? { kind: "permanent" as const, result: { status: "5.1.1", text: "no such user" } }
                : { kind: "temporary" as const, result: { status: "4.4.1", text: "later" } },
            ]),
          ),
        ),
    };
    const config = queueConfigSchema.parse({
      spoolDir: join(dir, "queue"),
      hostname: "mail.example.test",
      retry: { firstSeconds: 3600 },
    });
    const q = await openQueue(config, {
      log: silentLog,
      deliverer,
      returnPath: (from) => returnPath(from, keys),
    });
    try {
      const from = srsForward("x@remote.test", keys, ours);
      await q.queue.enqueue({
        from,
        recipients: [{ address: "friend@remote.test" }],
        raw: Buffer.from("From: x@remote.test\r\nSubject: fwd\r\n\r\nhi\r\n"),
        origin: { kind: "inbound" },
      });
      q.start();
      const dsn = await waitFor("the DSN", () =>
        q.list().find((m) => m.from === "" && m.origin.kind === "bounce"),
      );
      assert.deepEqual(
        dsn.recipients.map((r) => r.address),
        ["x@remote.test"],
      );
    } finally {
      await q.stop();
    }
  });
});
