/**
 * Submission: who may send as whom (envelope and From header), what the MTA adds, and where the
 * recipients go (the MDA now, the queue otherwise, with their DSN parameters).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PASSWORD, startHarness, type Harness } from "../testing/harness.ts";
import { plain, Transcript } from "../testing/transcript.ts";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.stop());

async function loggedIn(user: string, harness = h): Promise<Transcript> {
  const t = await Transcript.open({ port: harness.ports.submissions, tlsCa: harness.caCert });
  await t.expect(220);
  await t.send("EHLO mua.example.test", 250);
  await t.send(`AUTH PLAIN ${plain(user, PASSWORD)}`, 235);
  return t;
}

const NOT_YOURS = /^5\.7\.1 Sender address is not yours/;

describe("submission: the envelope sender", () => {
  it("takes the user's own addresses, aliases and groups, and refuses the rest with 553 5.7.1", async () => {
    const t = await loggedIn("alice@example.test");
    const table: [string, number, RegExp?][] = [
      ["alice@example.test", 250],
      ["Alice@Example.Test", 250],
      ["alice+lists@example.test", 250],
      ["sales@example.test", 250], // alias
      ["postmaster@example.test", 250], // alias
      ["team@example.test", 250], // a group alice is in
      ["", 250], // the null sender (read receipts)
      ["board@example.test", 553, NOT_YOURS], // a group alice is not in
      ["bob@example.test", 553, NOT_YOURS],
      ["nobody@example.test", 553, NOT_YOURS],
      ["alice@remote.test", 553, NOT_YOURS],
      ["alice%remote.test@example.test", 553, NOT_YOURS],
    ];
    for (const [address, code, text] of table) {
      await t.send(`MAIL FROM:<${address}>`, code, text);
      if (code === 250) await t.send("RSET", 250);
    }
    t.close();
  });

  it("does not let the catch-all target send as any address of that domain", async () => {
    const t = await loggedIn("carol@other.test");
    await t.send("MAIL FROM:<carol@other.test>", 250);
    await t.send("RSET", 250);
    await t.send("MAIL FROM:<anyone@other.test>", 553, NOT_YOURS);
    t.close();
  });

  it("limits messages per user (450 4.7.1), whatever address they connect from", async () => {
    const limited = await startHarness({ limits: { messagesPerMinute: 1 } });
    try {
      const first = await loggedIn("alice@example.test", limited);
      await first.send("MAIL FROM:<alice@example.test>", 250);
      const second = await loggedIn("alice@example.test", limited);
      await second.send("MAIL FROM:<alice@example.test>", 450, /^4\.7\.1 /);
      const other = await loggedIn("bob@example.test", limited);
      await other.send("MAIL FROM:<bob@example.test>", 250);
      [first, second, other].forEach((t) => t.close());
    } finally {
      await limited.stop();
    }
  });

  it("answers 451 4.3.0 when the directory cannot say", async () => {
    const t = await loggedIn("alice@example.test");
    h.directoryDown = true;
    try {
      await t.send("MAIL FROM:<sales@example.test>", 451, /^4\.3\.0 /);
    } finally {
      h.directoryDown = false;
    }
    t.close();
  });
});

/** A whole transaction as alice; returns the final reply. */
async function submit(
  rcpts: readonly string[],
  data: string,
  expected: number,
  text?: RegExp,
  options: { from?: string; mailArgs?: string; rcptArgs?: string; harness?: Harness } = {},
) {
  const t = await loggedIn("alice@example.test", options.harness);
  await t.send(`MAIL FROM:<${options.from ?? "alice@example.test"}>${options.mailArgs ?? ""}`, 250);
  for (const rcpt of rcpts) await t.send(`RCPT TO:<${rcpt}>${options.rcptArgs ?? ""}`, 250);
  await t.send("DATA", 354);
  t.write(`${data}.\r\n`);
  const reply = await t.expect(expected, text);
  t.close();
  return reply;
}

describe("submission: the From header", () => {
  it("refuses a From that is not the user's with 550 5.7.1, naming it", async () => {
    await submit(
      ["bob@example.test"],
      "From: Bob <bob@example.test>\r\nSubject: forged\r\n\r\nx\r\n",
      550,
      /^5\.7\.1 From header address <bob@example\.test> is not yours$/,
    );
  });

  it("refuses a Sender that is not the user's, and a message with no or two From fields", async () => {
    const sender = "From: alice@example.test\r\nSender: bob@example.test\r\n\r\nx\r\n";
    await submit(["bob@example.test"], sender, 550, /^5\.7\.1 .*bob@example\.test/);
    await submit(["bob@example.test"], "Subject: no from\r\n\r\nx\r\n", 550, /^5\.6\.0 /);
    const two = "From: alice@example.test\r\nFrom: sales@example.test\r\n\r\nx\r\n";
    await submit(["bob@example.test"], two, 550, /^5\.6\.0 /);
  });

  it("takes an alias or a group in From, with several addresses all the user's", async () => {
    const data =
      "From: Sales <sales@example.test>, Team <team@example.test>\r\nSubject: from-alias\r\n\r\nx\r\n";
    await submit(["bob@example.test"], data, 250, undefined, { from: "sales@example.test" });
    assert.equal(
      (await h.messages("bob@example.test")).filter((m) => m.includes("from-alias")).length,
      1,
    );
  });
});

describe("submission: what the MTA adds", () => {
  it("adds Date and Message-ID when missing, and a Received line naming the user (ESMTPSA)", async () => {
    await submit(
      ["bob@example.test"],
      "From: alice@example.test\r\nSubject: bare\r\n\r\nx\r\n",
      250,
    );
    const [stored = ""] = (await h.messages("bob@example.test")).filter((m) =>
      m.includes("Subject: bare"),
    );
    assert.match(stored, /\r\nMessage-ID: <[\w-]+@mail\.example\.test>\r\n/);
    assert.match(stored, /\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/);
    assert.match(
      stored,
      /\r\nReceived: from mua\.example\.test \(\[127\.0\.0\.1\]\)\r\n\tby mail\.example\.test \(mailstack mta\)\r\n\t\(using TLSv1\.3 with cipher \S+\)\r\n\t\(Authenticated sender: alice@example\.test\)\r\n\twith ESMTPSA id \S+\r\n\tfor <bob@example\.test>; /,
    );
  });

  it("keeps the client's own Date and Message-ID", async () => {
    const data =
      "From: alice@example.test\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <mine@mua>\r\nSubject: own-ids\r\n\r\nx\r\n";
    await submit(["bob@example.test"], data, 250);
    const [stored = ""] = (await h.messages("bob@example.test")).filter((m) =>
      m.includes("own-ids"),
    );
    assert.equal(stored.match(/\r\nMessage-ID: /g)?.length, 1);
    assert.equal(stored.match(/\r\nDate: /g)?.length, 1);
  });
});

describe("submission: where recipients go", () => {
  it("queues other domains with their DSN parameters (RFC 3461)", async () => {
    await submit(
      ["someone@remote.test"],
      "From: alice@example.test\r\nSubject: out\r\n\r\nx\r\n",
      250,
      /^2\.0\.0 Ok: queued as \S+$/,
      {
        mailArgs: " RET=HDRS ENVID=env+2B1",
        rcptArgs: " NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;someone@remote.test",
      },
    );
    const queued = h.enqueued.at(-1);
    assert.deepEqual(queued?.recipients, [
      {
        address: "someone@remote.test",
        notify: ["success", "failure"],
        orcpt: "rfc822;someone@remote.test",
      },
    ]);
    assert.deepEqual(queued?.dsn, { ret: "headers", envid: "env+1" });
    assert.equal(queued?.from, "alice@example.test");
    assert.deepEqual(queued?.origin, {
      kind: "submission",
      user: "alice@example.test",
      remoteAddress: "127.0.0.1",
    });
    assert.match(Buffer.from(queued?.raw ?? []).toString("latin1"), /^DKIM-Signature: /);
  });

  it("refuses a UTF-8 recipient without SMTPUTF8 (553 5.6.7, RFC 6531 §3.4)", async () => {
    const t = await loggedIn("alice@example.test");
    await t.send("MAIL FROM:<alice@example.test>", 250);
    await t.send("RCPT TO:<jos\u00e9@remote.test>", 553, /^5\.6\.7 /);
    await t.send("RCPT TO:<plain@remote.test>", 250);
    t.close();
  });

  it("keeps SMTPUTF8 and BODY=8BITMIME in the spooled envelope, for the next hop", async () => {
    const reply = await submit(
      ["jos\u00e9@remote.test", "plain@remote.test"],
      "From: alice@example.test\r\nSubject: Gr\u00fc\u00dfe\r\n\r\nHall\u00f6\r\n",
      250,
      /^2\.0\.0 Ok: queued as \S+$/,
      { mailArgs: " SMTPUTF8 BODY=8BITMIME" },
    );
    const id = /queued as (\S+)$/.exec(reply.text)?.[1] ?? "";
    const stored = await readFile(join(h.dir, "queue", "messages", `${id}.msg`), "utf8");
    const envelope = JSON.parse(stored.slice(0, stored.indexOf("\n"))) as Record<string, unknown>;
    assert.equal(envelope.smtpUtf8, true);
    assert.equal(envelope.eightBitMime, true);
    assert.ok(stored.includes("Subject: Gr\u00fc\u00dfe"), "the header stays UTF-8");
    assert.ok(stored.includes("\r\n\r\nHall=C3=B6\r\n"), "the body is converted (RFC 6152 §3)");
  });

  it("delivers a group's local members now and queues its remote member", async () => {
    await submit(
      ["team@example.test"],
      "From: alice@example.test\r\nSubject: to-team\r\n\r\nx\r\n",
      250,
    );
    assert.equal(
      (await h.messages("bob@example.test")).filter((m) => m.includes("to-team")).length,
      1,
    );
    assert.deepEqual(h.enqueued.at(-1)?.recipients, [{ address: "friend@remote.test" }]);
  });

  it("queues a local recipient that asked for NOTIFY=SUCCESS instead of delivering it at once", async () => {
    const before = (await h.messages("bob@example.test")).length;
    await submit(
      ["bob@example.test"],
      "From: alice@example.test\r\nSubject: notify\r\n\r\nx\r\n",
      250,
      /queued as/,
      {
        rcptArgs: " NOTIFY=SUCCESS",
      },
    );
    assert.equal((await h.messages("bob@example.test")).length, before);
    assert.deepEqual(h.enqueued.at(-1)?.recipients, [
      { address: "bob@example.test", notify: ["success"] },
    ]);
  });

  it("refuses unknown local recipients (550 5.1.1) and routing tricks (550 5.7.1) at RCPT", async () => {
    const t = await loggedIn("alice@example.test");
    await t.send("MAIL FROM:<alice@example.test>", 250);
    await t.send("RCPT TO:<nobody@example.test>", 550, /^5\.1\.1 /);
    await t.send("RCPT TO:<x%remote.test@example.test>", 550, /^5\.7\.1 /);
    await t.send("RCPT TO:<x@[192.0.2.1]>", 550, /^5\.7\.1 /);
    await t.send("RCPT TO:<x@remote.test>", 250);
    t.close();
  });

  it("queues local recipients while the MDA is down, and answers 451 4.3.0 when the queue fails", async () => {
    const down = await startHarness({ mda: false });
    try {
      await submit(
        ["bob@example.test"],
        "From: alice@example.test\r\nSubject: q\r\n\r\nx\r\n",
        250,
        /queued as/,
        {
          harness: down,
        },
      );
      assert.deepEqual(down.enqueued.at(-1)?.recipients, [{ address: "bob@example.test" }]);
    } finally {
      await down.stop();
    }
    const full = await startHarness({ queueFails: true });
    try {
      await submit(
        ["x@remote.test"],
        "From: alice@example.test\r\nSubject: q\r\n\r\nx\r\n",
        451,
        /^4\.3\.0 Queue unavailable/,
        {
          harness: full,
        },
      );
    } finally {
      await full.stop();
    }
  });
});
