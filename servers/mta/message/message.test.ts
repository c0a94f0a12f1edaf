/** Header editing as bytes, the untrusted fields, and the trace fields, with RFC examples. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { prependFields, splitMessage, valuesOf } from "./headers.ts";
import { receivedValue, withProtocol } from "./trace.ts";
import { stripUntrustedFields } from "./untrusted-fields.ts";

const RAW = Buffer.from(
  "Received: from a\r\n by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n" +
    "X-Mailstack-Spam: ham\r\n" +
    "Subject: =?UTF-8?B?w6k=?= caf\xc3\xa9\r\n" +
    "Authentication-Results: mail.example.test; spf=pass\r\n" +
    "Authentication-Results: mx.other.test; spf=fail\r\n" +
    "x-mailstack-spam-score:\r\n\t9\r\n" +
    "\r\nBody\r\n\r\nX-Mailstack-Spam: in the body stays\r\n",
  "latin1",
);

describe("message header editing", () => {
  it("splits fields with their folded lines and keeps the body apart", () => {
    const { fields, rest } = splitMessage(RAW);
    assert.deepEqual(
      fields.map((f) => f.name),
      [
        "received",
        "x-mailstack-spam",
        "subject",
        "authentication-results",
        "authentication-results",
        "x-mailstack-spam-score",
      ],
    );
    assert.equal(rest.toString("latin1").slice(0, 8), "\r\nBody\r\n");
    assert.deepEqual(valuesOf(fields, "Subject"), ["=?UTF-8?B?w6k=?= café"]);
    assert.deepEqual(valuesOf(fields, "received"), ["from a by b; Mon, 1 Jan 2024 00:00:00 +0000"]);
  });

  it("handles a message without a header and one without a body", () => {
    assert.deepEqual(splitMessage(Buffer.from("\r\nonly body")).fields, []);
    const { fields, rest } = splitMessage(Buffer.from("Subject: x\r\n"));
    assert.equal(fields.length, 1);
    assert.equal(rest.length, 0);
  });

  it("strips our verdict fields and Authentication-Results naming our host (RFC 8601 §5), nothing else", () => {
    const { raw, removed } = stripUntrustedFields(RAW, "MAIL.example.test");
    assert.equal(removed, 3);
    assert.equal(
      raw.toString("latin1"),
      "Received: from a\r\n by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n" +
        "Subject: =?UTF-8?B?w6k=?= caf\xc3\xa9\r\n" +
        "Authentication-Results: mx.other.test; spf=fail\r\n" +
        "\r\nBody\r\n\r\nX-Mailstack-Spam: in the body stays\r\n",
    );
    const clean = Buffer.from("Subject: x\r\n\r\nb");
    assert.equal(stripUntrustedFields(clean, "h").raw, clean, "untouched when nothing matches");
  });

  it("prepends fields, and refuses values that would start a new field", () => {
    const out = prependFields(Buffer.from("Subject: x\r\n\r\n"), [["X-A", "1;\r\n\tfolded"]]);
    assert.equal(out.toString(), "X-A: 1;\r\n\tfolded\r\nSubject: x\r\n\r\n");
    assert.throws(() => prependFields(Buffer.alloc(0), [["X-A", "1\r\nBcc: x"]]));
    assert.throws(() => prependFields(Buffer.alloc(0), [["X-A", "1\nBcc: x"]]));
    assert.throws(() => prependFields(Buffer.alloc(0), [["X A", "1"]]));
  });
});

describe("trace fields", () => {
  it("names the protocol as RFC 3848 and RFC 6531 §3.7.3 do", () => {
    const table: [Parameters<typeof withProtocol>[0], string][] = [
      [{ ehlo: false, tls: undefined, user: undefined, utf8: false }, "SMTP"],
      [{ ehlo: true, tls: undefined, user: undefined, utf8: false }, "ESMTP"],
      [
        { ehlo: true, tls: { version: "TLSv1.3", cipher: "X" }, user: undefined, utf8: false },
        "ESMTPS",
      ],
      [{ ehlo: true, tls: undefined, user: "a", utf8: false }, "ESMTPA"],
      [{ ehlo: true, tls: { version: "TLSv1.3", cipher: "X" }, user: "a", utf8: false }, "ESMTPSA"],
      [
        { ehlo: true, tls: { version: "TLSv1.3", cipher: "X" }, user: "a", utf8: true },
        "UTF8SMTPSA",
      ],
    ];
    for (const [facts, name] of table) assert.equal(withProtocol(facts), name);
  });

  it("writes a Received value that cannot be broken out of by the client's EHLO name", () => {
    const value = receivedValue({
      helo: "evil)\r\nBcc: x (",
      remoteAddress: "2001:db8::1",
      hostname: "mail.example.test",
      id: "ID1",
      date: new Date(Date.UTC(2024, 0, 1)),
      ehlo: true,
      tls: undefined,
      user: undefined,
      utf8: false,
      recipients: ["a@example.test", "b@example.test"],
    });
    assert.equal(
      value,
      "from evil???Bcc: x ? ([IPv6:2001:db8::1])\r\n\tby mail.example.test (mailstack mta)\r\n\twith ESMTP id ID1; Mon, 01 Jan 2024 00:00:00 +0000",
    );
  });
});
