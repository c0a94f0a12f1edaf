/** Section numbering, binary APPEND and quoted-printable decoding (cases from imaptest). */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { encodeBinaryParts } from "../commands/encode-binary.ts";
import { createEnv, loggedIn, type TestEnv } from "../testing/harness.ts";

const crlf = (lines: string[]) => lines.join("\r\n");

const ENCLOSING = crlf([
  "From: user@domain.org",
  "Content-Type: message/rfc822",
  "",
  "From: sub@domain.org",
  "Subject: submsg",
  "",
  "Hello world",
  "",
]);

describe("section numbers and binary content", () => {
  let env: TestEnv;
  before(async () => {
    env = await createEnv();
  });
  after(() => env.close());

  it("numbers the parts of a top-level message/rfc822 as RFC 9051 §6.4.5 does", async (t) => {
    const c = await loggedIn(t, env, "alice", "INBOX");
    c.write(`a APPEND INBOX {${ENCLOSING.length}+}\r\n${ENCLOSING}\r\n`);
    await c.run(`
      S: * 1 EXISTS
      S: * 1 RECENT
      S: a OK [APPENDUID ...] APPEND completed
      C: b FETCH 1 (BODY.PEEK[1.HEADER] BODY.PEEK[1.1])
      S: * 1 FETCH (BODY[1.HEADER] {41}
      S: From: sub@domain.org
      S: Subject: submsg
      S: 
      S:  BODY[1.1] {13}
      S: Hello world
      S: )
      S: b OK FETCH completed
      C: c FETCH 1 BODY.PEEK[1]<0.20>
      S: * 1 FETCH (BODY[1]<0> {20}
      S: From: sub@domain.org)
      S: c OK FETCH completed
    `);
  });

  it("stores binary parts base64-encoded for BODY[], and BINARY[] gives the octets back", async (t) => {
    const c = await loggedIn(t, env, "bob", "INBOX");
    const raw = Buffer.concat([
      Buffer.from(
        crlf([
          "Subject: bin",
          "Content-Type: application/octet-stream",
          "Content-Transfer-Encoding: binary",
          "",
          "",
        ]),
      ),
      Buffer.from([0, 0x2d, 0xe4, 0x0d, 0x0a]),
    ]);
    c.write(
      Buffer.concat([
        Buffer.from(`a APPEND INBOX ~{${raw.length}+}\r\n`),
        raw,
        Buffer.from("\r\n"),
      ]),
    );
    await c.run(`
      S: * 1 EXISTS
      S: * 1 RECENT
      S: a OK [APPENDUID ...] APPEND completed
      C: b FETCH 1 (BODY.PEEK[1] BINARY.SIZE[1])
      S: * 1 FETCH (BODY[1] {10}
      S: AC3kDQo=
      S:  BINARY.SIZE[1] 5)
      S: b OK FETCH completed
    `);
    assert.equal(encodeBinaryParts(Buffer.from("no nul\r\n")).toString(), "no nul\r\n");
  });

  it("BINARY[1] drops quoted-printable transport padding, RFC 2045 §6.7 (imaptest)", async (t) => {
    const c = await loggedIn(t, env, "carol", "INBOX");
    const raw = crlf([
      "Content-Type: text/plain",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "hello  ",
      "bar=",
      "",
      "foo\t=",
      "bar",
      "foo\t \t= ",
      "=62",
      "foo = \t",
      "bar",
      "",
    ]);
    c.write(`a APPEND INBOX {${raw.length}+}\r\n${raw}\r\n`);
    await c.run(`
      S: * 1 EXISTS
      S: * 1 RECENT
      S: a OK [APPENDUID ...] APPEND completed
      C: b FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])
      S: * 1 FETCH (BINARY.SIZE[1] 39 BINARY[1] {39}
      S: hello
      S: bar
      S: foo\tbar
      S: foo\t \tb
      S: foo bar
      S: )
      S: b OK FETCH completed
    `);
  });
});
