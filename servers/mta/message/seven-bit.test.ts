/**
 * 8-bit to 7-bit (RFC 6152 §3): the result has no octet above 127 in its body, reads the same
 * to an independent MIME parser (Python's email package), and leaves alone what needs no change.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mimeParts } from "../testing/mime-parts.ts";
import { hasEightBitBody, quotedPrintable, toSevenBit } from "./seven-bit.ts";

const crlf = (lines: string[]) => Buffer.from(lines.join("\r\n"), "utf8");
const sevenBit = (raw: Buffer) => raw.every((b) => b < 0x80);
const body = (raw: Buffer) => raw.subarray(raw.indexOf("\r\n\r\n") + 4).toString("latin1");

const IMAGE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00, 0x80]);

const MULTIPART = Buffer.concat([
  crlf([
    "From: alice@example.test",
    "Subject: Grüße",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="=_b1"',
    "Content-Transfer-Encoding: 8bit",
    "",
    "preamble",
    "--=_b1",
    "Content-Type: multipart/alternative; boundary=b2",
    "",
    "--b2",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    "Hallö Welt, ça va? Ünïcödé " + "ä".repeat(60),
    "trailing space ",
    "=equals= and a lone\rCR",
    "--b2",
    "Content-Type: text/html; charset=utf-8",
    "",
    "<p>Hallö</p>",
    "--b2--",
    "--=_b1",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "seven-bit part, left exactly as it was",
    "--=_b1",
    "Content-Type: message/rfc822",
    "Content-Transfer-Encoding: 8bit",
    "",
    "From: bob@example.test",
    "Subject: inner",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    "Inner ö",
    "--=_b1",
    "Content-Type: image/png",
    "Content-Transfer-Encoding: binary",
    "",
    "",
  ]),
  IMAGE,
  crlf(["", "--=_b1--", "epilogue", ""]),
]);

describe("8-bit to 7-bit conversion (RFC 6152 §3)", () => {
  it("returns a 7-bit message itself", () => {
    const raw = crlf(["From: a@example.test", "Subject: Grüße", "", "plain ascii", ""]);
    assert.equal(hasEightBitBody(raw), false, "UTF-8 in a header field is no 8-bit body");
    assert.equal(toSevenBit(raw), raw);
  });

  it("converts a message without MIME fields to quoted-printable UTF-8 text", async () => {
    const raw = crlf(["From: a@example.test", "Subject: hi", "", "Hallö.", ""]);
    assert.equal(hasEightBitBody(raw), true);
    const out = toSevenBit(raw);
    assert.ok(sevenBit(out));
    assert.match(out.toString(), /^MIME-Version: 1\.0\r$/m);
    assert.match(out.toString(), /^Content-Type: text\/plain; charset=utf-8\r$/m);
    assert.match(out.toString(), /^Content-Transfer-Encoding: quoted-printable\r$/m);
    assert.equal(body(out), "Hall=C3=B6.\r\n");
    assert.deepEqual(await mimeParts(out), [["text/plain", "Hallö.\r\n"]]);
  });

  it("converts every 8-bit part of a multipart message and keeps the rest byte for byte", async () => {
    const out = toSevenBit(MULTIPART);
    assert.ok(sevenBit(Buffer.from(body(out), "latin1")), "no octet above 127 in the body");
    assert.match(out.toString("utf8"), /^Subject: Grüße\r$/m, "header fields left alone");
    assert.deepEqual(await mimeParts(out), await mimeParts(MULTIPART));
    const text = out.toString("latin1");
    assert.match(text, /^Content-Transfer-Encoding: 7bit\r$/m, "the multipart's label");
    assert.ok(
      text.includes(
        "--=_b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nseven-bit part, left exactly as it was\r\n--=_b1\r\n",
      ),
    );
    assert.ok(
      text.includes("Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"),
    );
    assert.ok(text.includes("preamble") && text.includes("epilogue"), "7-bit, so kept");
    for (const line of text.split("\r\n")) assert.ok(line.length <= 998);
  });

  it("writes quoted-printable lines of at most 76 characters, spaces at a line end encoded", () => {
    const out = quotedPrintable(Buffer.from(`${"ü".repeat(40)} x \r\ntab\t\r\n`, "utf8"));
    const lines = out.toString("latin1").split("\r\n");
    assert.ok(lines.every((l) => l.length <= 76));
    assert.ok(
      lines.slice(0, -3).every((l) => l.endsWith("=")),
      "soft breaks",
    );
    assert.match(lines.at(-3)!, /^(=[0-9A-F]{2})+ x=20$/);
    assert.deepEqual(lines.slice(-2), ["tab=09", ""]);
  });

  it("escapes stray 8-bit octets in a quoted-printable part and keeps its meaning", async () => {
    const raw = Buffer.concat([
      crlf([
        "From: a@example.test",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "caf=C3=A9 and ",
      ]),
      Buffer.from("café\r\n", "utf8"),
    ]);
    const out = toSevenBit(raw);
    assert.ok(sevenBit(out));
    assert.deepEqual(await mimeParts(out), [["text/plain", "café and café\r\n"]]);
  });
});
