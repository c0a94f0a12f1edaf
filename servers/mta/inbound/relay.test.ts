/**
 * The relay tests of old (the tricks open-relay checkers tried), one line each: the RCPT address
 * and the reply port 25 must give. Nothing in this table is ever accepted for another domain.
 */
import { after, before, describe, it } from "node:test";
import { startHarness, type Harness } from "../testing/harness.ts";
import { Transcript } from "../testing/transcript.ts";

const RELAY = /^5\.7\.1 Relaying denied/;
const SYNTAX = /^5\.1\.3 /;

/** [RCPT TO argument, expected code, expected text] */
const TABLE: readonly [string, number, RegExp][] = [
  // plain relaying
  ["<user@remote.test>", 550, RELAY],
  ["<user@REMOTE.TEST>", 550, RELAY],
  ["<user@example.test.remote.test>", 550, RELAY],
  ["<user@sub.example.test>", 550, RELAY],
  ["<user@test>", 550, RELAY],
  // percent hack: user%remote@ours was relayed by old sendmail
  ["<user%remote.test@example.test>", 550, RELAY],
  ["<user%remote.test%example.test@example.test>", 550, RELAY],
  ["<alice%example.test@example.test>", 550, RELAY],
  // bang paths (UUCP)
  ["<remote.test!user@example.test>", 550, RELAY],
  ["<remote.test!user>", 501, SYNTAX],
  // quoted local parts hiding an @
  ['<"user@remote.test"@example.test>', 501, SYNTAX],
  ['<"user%remote.test"@example.test>', 550, RELAY],
  // source routes: smtp-server drops the route (RFC 5321 §4.1.2), the last hop decides
  ["<@example.test:user@remote.test>", 550, RELAY],
  ["<@example.test,@mail.example.test:user@remote.test>", 550, RELAY],
  ["<@remote.test:alice@example.test>", 250, /^2\.1\.5 /],
  // address literals
  ["<user@[127.0.0.1]>", 550, RELAY],
  ["<user@[192.0.2.1]>", 550, RELAY],
  ["<user@[IPv6:::1]>", 550, RELAY],
  ["<alice@[127.0.0.1]>", 550, RELAY],
  ["<user@[300.1.1.1]>", 501, SYNTAX],
  // two @, trailing dots, empty parts: not addresses at all
  ["<user@example.test@remote.test>", 501, SYNTAX],
  ["<alice@example.test.>", 501, SYNTAX],
  ["<user@remote.test.>", 501, SYNTAX],
  ["<@example.test>", 501, SYNTAX],
  ["<alice@>", 501, SYNTAX],
  ["<>", 501, SYNTAX],
  ["alice@example.test", 501, SYNTAX],
  // our own domain, case and all: accepted for users, 5.1.1 for nobody
  ["<ALICE@EXAMPLE.TEST>", 250, /^2\.1\.5 /],
  ["<alice@Example.Test>", 250, /^2\.1\.5 /],
  ["<alice+news@example.test>", 250, /^2\.1\.5 /],
  ["<nobody@example.test>", 550, /^5\.1\.1 /],
  ["<anyone@other.test>", 250, /^2\.1\.5 /], // other.test has a catch-all
  // UTF-8 without SMTPUTF8 in MAIL FROM (RFC 6531 §3.4)
  ["<jos\u00e9@example.test>", 553, /^5\.6\.7 /],
  ["<user@b\u00fccher.test>", 553, /^5\.6\.7 /],
];

let h: Harness;
before(async () => {
  h = await startHarness({ limits: { maxRecipients: 100 } });
});
after(() => h.stop());

describe("port 25: relay attempts", () => {
  it("answers each classic relay trick as the table says", async () => {
    const t = await Transcript.open({ port: h.ports.smtp });
    await t.expect(220);
    await t.send("EHLO relay-tester.remote.test", 250);
    await t.send("MAIL FROM:<tester@remote.test>", 250);
    for (const [address, code, text] of TABLE) {
      await t.send(`RCPT TO:${address}`, code, text);
    }
    await t.send("QUIT", 221);
    t.close();
  });

  it("stays closed in a pipelined batch and for the null sender", async () => {
    const t = await Transcript.open({ port: h.ports.smtp });
    await t.expect(220);
    await t.send("EHLO relay-tester.remote.test", 250);
    t.write(
      "MAIL FROM:<>\r\nRCPT TO:<a@remote.test>\r\nRCPT TO:<b%remote.test@example.test>\r\nDATA\r\n",
    );
    await t.expect(250);
    await t.expect(550, RELAY);
    await t.expect(550, RELAY);
    await t.expect(503, /^5\.5\.1 /); // no recipient: no DATA
    t.close();
  });
});
