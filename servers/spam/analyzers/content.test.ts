/**
 * MIME structure, attachments (with archives built byte by byte to the formats' specifications),
 * links, and GTUBE, one case per line.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GTUBE } from "./gtube.ts";
import { analyze, message } from "../testing/harness.ts";

function multipart(subtype: string, parts: readonly { headers: string; body: string }[]): string {
  const boundary = "=_b0undary";
  const body =
    parts.map((p) => `--${boundary}\r\n${p.headers}\r\n\r\n${p.body}\r\n`).join("") +
    `--${boundary}--\r\n`;
  return message({
    headers: { "Content-Type": `multipart/${subtype}; boundary="${boundary}"` },
    body,
  });
}

const text = (body: string) => ({ headers: "Content-Type: text/plain; charset=utf-8", body });
const html = (body: string) => ({ headers: "Content-Type: text/html; charset=utf-8", body });
const file = (name: string, content: Buffer, type = "application/octet-stream") => ({
  headers: `Content-Type: ${type}; name="${name}"\r\nContent-Disposition: attachment; filename="${name}"\r\nContent-Transfer-Encoding: base64`,
  body: content.toString("base64").replace(/.{76}/g, "$&\r\n"),
});

/** A ZIP (APPNOTE 4.3): local headers, data stored, central directory, end record. */
function zip(entries: readonly { name: string; encrypted?: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const data = Buffer.from("content");
    const flags = e.encrypted ? 1 : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** RAR 4 marker block, then an archive header (type 0x73) with flags. */
function rar4(flags: number): Buffer {
  const header = Buffer.alloc(13);
  header[2] = 0x73;
  header.writeUInt16LE(flags, 3);
  header.writeUInt16LE(13, 5);
  return Buffer.concat([Buffer.from("Rar!\x1a\x07\x00", "latin1"), header]);
}

/** RAR 5 signature, then one header: CRC32, size (vint), type (vint). */
function rar5(type: number): Buffer {
  return Buffer.concat([
    Buffer.from("Rar!\x1a\x07\x01\x00", "latin1"),
    Buffer.alloc(4),
    Buffer.from([3, type, 0, 0]),
  ]);
}

const SEVEN_ZIP = Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]);

async function symbols(raw: string, names: readonly string[]): Promise<string[]> {
  const r = await analyze(raw, { helo: "[192.0.2.10]" });
  return [...r.hits.keys()].filter((k) => names.includes(k)).sort();
}

describe("MIME structure", () => {
  const S = ["MIME_HTML_ONLY", "MIME_ALTERNATIVE_MISMATCH"];
  const words =
    "the quarterly report covers revenue costs hiring plans and the budget for next year in detail";
  const cases: [string, string, string][] = [
    ["plain text only", message(), "-"],
    [
      "HTML only",
      message({ headers: { "Content-Type": "text/html" }, body: "<p>Buy <b>now</b></p>" }),
      "MIME_HTML_ONLY",
    ],
    [
      "alternative, same words",
      multipart("alternative", [text(words), html(`<p>${words}</p>`)]),
      "-",
    ],
    [
      "alternative, different texts",
      multipart("alternative", [
        text(words),
        html(
          "<p>cheap pills online pharmacy discount viagra cialis order today free shipping worldwide</p>",
        ),
      ]),
      "MIME_ALTERNATIVE_MISMATCH",
    ],
  ];
  for (const [name, raw, expected] of cases) {
    it(`${name} -> ${expected}`, async () =>
      assert.deepEqual(await symbols(raw, S), expected === "-" ? [] : [expected]));
  }
});

describe("attachments and archives", () => {
  const S = ["DANGEROUS_ATTACHMENT", "ENCRYPTED_ARCHIVE"];
  const withFile = (name: string, content: Buffer) =>
    multipart("mixed", [text("see attached"), file(name, content)]);
  const cases: [string, string, string][] = [
    ["a PDF", withFile("report.pdf", Buffer.from("%PDF-1.4")), "-"],
    ["an .exe", withFile("invoice.pdf.exe", Buffer.from("MZ")), "DANGEROUS_ATTACHMENT"],
    ["an .iso", withFile("scan.ISO", Buffer.from("x")), "DANGEROUS_ATTACHMENT"],
    ["a ZIP of documents", withFile("docs.zip", zip([{ name: "a.txt" }, { name: "b.pdf" }])), "-"],
    [
      "a ZIP holding a script",
      withFile("docs.zip", zip([{ name: "a.txt" }, { name: "run.js" }])),
      "DANGEROUS_ATTACHMENT",
    ],
    [
      "a password-protected ZIP",
      withFile("docs.zip", zip([{ name: "a.txt", encrypted: true }])),
      "ENCRYPTED_ARCHIVE",
    ],
    ["RAR 4 with encrypted headers", withFile("a.rar", rar4(0x0080)), "ENCRYPTED_ARCHIVE"],
    ["RAR 4 without encryption", withFile("a.rar", rar4(0)), "-"],
    ["RAR 5 with an archive encryption header", withFile("a.rar", rar5(4)), "ENCRYPTED_ARCHIVE"],
    [
      "7z with an AES coder",
      withFile("a.7z", Buffer.concat([SEVEN_ZIP, Buffer.from([0x06, 0xf1, 0x07, 0x01])])),
      "ENCRYPTED_ARCHIVE",
    ],
  ];
  for (const [name, raw, expected] of cases) {
    it(`${name} -> ${expected}`, async () =>
      assert.deepEqual(await symbols(raw, S), expected === "-" ? [] : [expected]));
  }
});

describe("links", () => {
  const S = ["URL_IP_LITERAL", "URL_OBFUSCATED", "URL_TEXT_MISMATCH", "URL_SHORTENER"];
  const page = (body: string) => message({ headers: { "Content-Type": "text/html" }, body });
  const cases: [string, string, string][] = [
    ["a plain link", message({ body: "see https://www.example.org/page\r\n" }), "-"],
    ["to a bare IP", message({ body: "go to http://198.51.100.7/login\r\n" }), "URL_IP_LITERAL"],
    ["IPv4 as one decimal number", message({ body: "http://3232235777/x\r\n" }), "URL_OBFUSCATED"],
    [
      "IPv4 in hex and octal parts",
      message({ body: "http://0xC0.0250.1.1/x\r\n" }),
      "URL_OBFUSCATED",
    ],
    [
      "a trusted name as userinfo",
      message({ body: "http://www.bank.example@198.51.100.7/\r\n" }),
      "URL_OBFUSCATED",
    ],
    [
      "percent-encoded host",
      page('<a href="http://%77%77%77.evil.example/">x</a>'),
      "URL_OBFUSCATED",
    ],
    [
      "text shows one domain, link goes to another",
      page('<a href="http://evil.example/login">www.bank.example</a>'),
      "URL_TEXT_MISMATCH",
    ],
    [
      "text shows the link's own domain",
      page('<a href="https://www.bank.example/login">https://bank.example/</a>'),
      "-",
    ],
    ["text is words", page('<a href="http://evil.example/">click here</a>'), "-"],
    ["through a shortener", message({ body: "https://bit.ly/3abcd\r\n" }), "URL_SHORTENER"],
  ];
  for (const [name, raw, expected] of cases) {
    it(`${name} -> ${expected}`, async () =>
      assert.deepEqual(await symbols(raw, S), expected === "-" ? [] : [expected]));
  }

  it("extra shorteners come from config", async () => {
    const r = await analyze(
      message({ body: "https://go.example.net/x\r\n" }),
      {},
      {},
      { extraShorteners: ["go.example.net"] },
    );
    assert.equal(r.hits.get("URL_SHORTENER"), "go.example.net");
  });
});

describe("GTUBE", () => {
  it("the GTUBE string in the body forces reject", async () => {
    const r = await analyze(message({ body: `This is the GTUBE, the\r\n${GTUBE}\r\n` }));
    assert.ok(r.hits.has("GTUBE"));
    assert.equal(r.action, "reject");
  });

  it("also inside a base64 part", async () => {
    const raw = multipart("mixed", [
      {
        headers: "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64",
        body: Buffer.from(GTUBE).toString("base64"),
      },
    ]);
    assert.equal((await analyze(raw)).action, "reject");
  });

  it("in a header only, it is not GTUBE", async () => {
    const r = await analyze(message({ headers: { Subject: GTUBE } }));
    assert.ok(!r.hits.has("GTUBE"));
  });
});
