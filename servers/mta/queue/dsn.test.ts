/** DSN messages (RFC 3464 / RFC 6522) built and read back structurally. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildDsn, headerBlock, type DsnInput } from "./dsn.ts";
import { parseDsn } from "./testing/dsn-parse.ts";

const original = Buffer.from(
  "From: alice@local.test\r\nTo: bob@remote.test\r\nSubject: hi\r\n\r\nBody line\r\n.dot line\r\n",
);
const base: DsnInput = {
  reportingMta: "mta.local.test",
  queueId: "0lq3abcde0123456789",
  to: "alice@local.test",
  envid: "ENV-42",
  arrivedAt: Date.UTC(2030, 0, 1, 12),
  recipients: [
    {
      address: "bob@remote.test",
      orcpt: "rfc822;Bob@Remote.test",
      action: "failed",
      status: "5.1.1",
      remoteMta: "mx.remote.test",
      reply: "550 5.1.1 no such user",
      lastAttemptAt: Date.UTC(2030, 0, 1, 12, 1),
    },
    {
      address: "carol@remote.test",
      action: "delayed",
      status: "4.4.1",
      text: "no MX host answered",
      willRetryUntil: Date.UTC(2030, 0, 6, 12),
    },
  ],
  original,
  returnContent: "full",
  now: Date.UTC(2030, 0, 1, 12, 2),
};

describe("buildDsn", () => {
  const dsn = parseDsn(buildDsn(base));
  it("is a multipart/report of delivery-status from MAILER-DAEMON", () => {
    assert.match(dsn.headers["content-type"]!, /^multipart\/report; report-type=delivery-status;/);
    assert.equal(dsn.headers.from, '"Mail Delivery System" <MAILER-DAEMON@mta.local.test>');
    assert.equal(dsn.headers.to, "<alice@local.test>");
    assert.equal(dsn.headers["auto-submitted"], "auto-replied");
    assert.equal(dsn.headers.subject, "Undelivered Mail Returned to Sender");
    assert.deepEqual(
      dsn.parts.map((p) => p.headers["content-type"]),
      ["text/plain; charset=us-ascii", "message/delivery-status", "message/rfc822"],
    );
  });
  it("has the per-message fields", () => {
    assert.deepEqual(dsn.perMessage, {
      "original-envelope-id": "ENV-42",
      "reporting-mta": "dns; mta.local.test",
      "x-mailstack-queue-id": base.queueId,
      "arrival-date": "Tue, 01 Jan 2030 12:00:00 +0000",
    });
  });
  it("has the per-recipient fields", () => {
    assert.deepEqual(dsn.perRecipient[0], {
      "original-recipient": "rfc822; Bob@Remote.test",
      "final-recipient": "rfc822; bob@remote.test",
      action: "failed",
      status: "5.1.1",
      "remote-mta": "dns; mx.remote.test",
      "diagnostic-code": "smtp; 550 5.1.1 no such user",
      "last-attempt-date": "Tue, 01 Jan 2030 12:01:00 +0000",
    });
    assert.deepEqual(dsn.perRecipient[1], {
      "final-recipient": "rfc822; carol@remote.test",
      action: "delayed",
      status: "4.4.1",
      "diagnostic-code": "X-mailstack; no MX host answered",
      "will-retry-until": "Sun, 06 Jan 2030 12:00:00 +0000",
    });
  });
  it("returns the full message with RET=FULL", () => {
    assert.equal(dsn.parts[2]!.body, original.toString().replace(/\r\n$/, ""));
  });
  it("returns only the header with RET=HDRS", () => {
    const hdrs = parseDsn(buildDsn({ ...base, returnContent: "headers" }));
    assert.equal(hdrs.parts[2]!.headers["content-type"], "text/rfc822-headers");
    assert.equal(
      hdrs.parts[2]!.body,
      "From: alice@local.test\r\nTo: bob@remote.test\r\nSubject: hi",
    );
  });
  it("tells delays and successes apart in the subject", () => {
    const delayed = parseDsn(buildDsn({ ...base, recipients: [base.recipients[1]!] }));
    assert.equal(delayed.headers.subject, "Delayed Mail (still being retried)");
    const ok = { address: "d@remote.test", action: "relayed" as const, status: "2.0.0" };
    assert.equal(
      parseDsn(buildDsn({ ...base, recipients: [ok] })).headers.subject,
      "Successful Mail Delivery Report",
    );
  });
  it("cannot be split by CR/LF in a reply or an ENVID", () => {
    const evil = parseDsn(
      buildDsn({
        ...base,
        envid: "x\r\nAction: delivered",
        recipients: [{ ...base.recipients[0]!, reply: "550 no\r\nAction: delivered" }],
      }),
    );
    assert.equal(evil.perRecipient[0]!.action, "failed");
    assert.equal(evil.perMessage["original-envelope-id"], "x Action: delivered");
  });
  it("keeps 8-bit bytes of the original as they are", () => {
    const latin1 = Buffer.concat([
      Buffer.from("Subject: caf"),
      Buffer.from([0xe9]),
      Buffer.from("\r\n\r\nx\r\n"),
    ]);
    const raw = buildDsn({ ...base, original: latin1 });
    assert.ok(raw.includes(Buffer.from([0x66, 0xe9, 0x0d, 0x0a])), "the é byte survives");
    assert.match(
      raw.toString("latin1"),
      /Content-Type: message\/rfc822\r\nContent-Transfer-Encoding: 8bit/,
    );
  });
});

describe("headerBlock", () => {
  it("stops at the first empty line, CRLF or LF", () => {
    assert.equal(headerBlock(Buffer.from("A: 1\r\nB: 2\r\n\r\nbody")).toString(), "A: 1\r\nB: 2");
    assert.equal(headerBlock(Buffer.from("A: 1\nB: 2\n\nbody")).toString(), "A: 1\nB: 2");
  });
});
