/** The parse every analyzer reads: decoded text, HTML reduced to text and links, URL facts. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeEntities, htmlToText } from "./html.ts";
import { parseMail } from "./parse.ts";
import { baseDomain, linksInText, numericIpv4, urlFacts } from "./urls.ts";

describe("parseMail", () => {
  it("decodes encoded words, transfer encodings and charsets; sorts parts and attachments", () => {
    const raw = [
      "From: =?utf-8?B?SsO2cmc=?= <j@example.de>",
      "Subject: =?iso-8859-1?Q?Gr=FC=DFe?=",
      'Content-Type: multipart/mixed; boundary="b"',
      "",
      "--b",
      'Content-Type: multipart/alternative; boundary="a"',
      "",
      "--a",
      "Content-Type: text/plain; charset=iso-8859-1",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Sch=F6ne Gr=FC=DFe, see http://www.example.de/x.",
      "--a",
      "Content-Type: text/html; charset=utf-8",
      "Content-Transfer-Encoding: base64",
      "",
      Buffer.from('<p>Sch\u00f6ne <a href="https://example.de/y">Gr\u00fc\u00dfe</a></p>').toString(
        "base64",
      ),
      "--a--",
      "--b",
      'Content-Type: application/pdf; name="r.pdf"',
      "Content-Transfer-Encoding: base64",
      "",
      Buffer.from("%PDF-1.4 test").toString("base64"),
      "--b--",
      "",
    ].join("\r\n");
    const m = parseMail(Buffer.from(raw));
    assert.equal(m.header("subject"), "Grüße");
    assert.equal(m.addresses("from")[0]?.host, "example.de");
    assert.deepEqual(
      m.parts.map((p) => [p.subtype, p.text.trim(), p.alternative]),
      [
        ["plain", "Schöne Grüße, see http://www.example.de/x.", 0],
        ["html", "Schöne Grüße", 0],
      ],
    );
    assert.deepEqual(
      m.attachments.map((a) => [a.filename, a.contentType, a.size]),
      [["r.pdf", "application/pdf", 13]],
    );
    assert.deepEqual(
      m.links.map((l) => [l.source, l.url, l.text]),
      [
        ["text", "http://www.example.de/x", undefined],
        ["href", "https://example.de/y", "Grüße"],
      ],
    );
    assert.deepEqual(m.leafTypes, ["text/plain", "text/html", "application/pdf"]);
  });
});

describe("HTML to text", () => {
  it("drops script, style and comments; keeps anchor text with its link; decodes references", () => {
    const { text, links } = htmlToText(
      "<html><head><title>T&amp;C</title><style>p{}</style></head><body><!-- hidden --><script>x()</script>" +
        '<p>Hello&nbsp;<b>you</b></p><a href="http://a.example/?a=1&amp;b=2">click &#x2192; here</a><img src="http://i.example/p.gif" alt="pic"></body></html>',
    );
    assert.equal(text.replace(/\s+/g, " ").trim(), "T&C Hello you click → here pic");
    assert.deepEqual(links, [
      { url: "http://a.example/?a=1&b=2", text: "click → here", kind: "href" },
      { url: "http://i.example/p.gif", kind: "img" },
    ]);
  });

  it("survives broken markup", () => {
    assert.equal(htmlToText("a < b and <unclosed").text, "a < b and <unclosed");
    assert.equal(decodeEntities("&bogus; &#0; &#65;"), "&bogus; \ufffd A");
  });
});

describe("URLs", () => {
  it("finds links in text without trailing punctuation", () => {
    assert.deepEqual(linksInText("See (https://a.example/x), www.b.example. ftp://c.example/f!"), [
      "https://a.example/x",
      "www.b.example",
      "ftp://c.example/f",
    ]);
  });

  it("reads the host a browser would reach", () => {
    const cases: [string, string | undefined, string[]][] = [
      ["https://WWW.Example.org:8443/p", "www.example.org", []],
      ["http://user@bank.example@198.51.100.1/", "198.51.100.1", ["userinfo"]],
      ["http://%65vil.example/", "evil.example", ["percent-host"]],
      ["http://3232235777/", "192.168.1.1", ["numeric-ip"]],
      ["http://0300.0250.1.1/", "192.168.1.1", ["numeric-ip"]],
      ["http://[2001:db8::1]/", "2001:db8::1", []],
      ["mailto:a@b.example", undefined, []],
    ];
    for (const [url, host, obfuscation] of cases) {
      const facts = urlFacts(url);
      assert.equal(facts?.host, host, url);
      if (facts) assert.deepEqual(facts.obfuscation, obfuscation, url);
    }
  });

  it("numericIpv4 leaves dotted decimal and non-addresses alone", () => {
    assert.equal(numericIpv4("192.0.2.1"), undefined);
    assert.equal(numericIpv4("example.com"), undefined);
    assert.equal(numericIpv4("0x7f.1"), "127.0.0.1");
    assert.equal(numericIpv4("4294967296"), undefined);
  });

  it("baseDomain approximates the registrable domain", () => {
    assert.equal(baseDomain("a.b.example.com"), "example.com");
    assert.equal(baseDomain("www.bbc.co.uk"), "bbc.co.uk");
    assert.equal(baseDomain("example.com."), "example.com");
  });
});
