import assert from "node:assert/strict";
import { test } from "node:test";
import { findPart, parseMessage, splitMultipart, type MimePart } from "./mime-tree.ts";
import { filterHeaderFields, sectionRange } from "./sections.ts";

const crlf = (lines: string[]): Uint8Array => Buffer.from(lines.join("\r\n"));
const slice = (raw: Uint8Array, start: number, end: number): string =>
  Buffer.from(raw.subarray(start, end)).toString("latin1");
const body = (raw: Uint8Array, part: MimePart | undefined): string =>
  part ? slice(raw, part.bodyStart, part.bodyEnd) : "(no part)";

const NESTED = crlf([
  "From: a@b",
  "Content-Type: multipart/mixed; boundary=outer",
  "",
  "preamble",
  "--outer",
  'Content-Type: multipart/alternative; boundary="inner"',
  "",
  "--inner",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "plain line 1",
  "plain line 2",
  "--inner",
  "Content-Type: text/html",
  "",
  "<p>html</p>",
  "--inner--",
  "--outer",
  'Content-Type: application/pdf; name="a.pdf"',
  'Content-Disposition: attachment; filename="a.pdf"',
  "Content-ID: <part3@x>",
  "Content-Description: the report",
  "Content-Language: en, de",
  "Content-Location: http://example.com/a.pdf",
  "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==",
  "Content-Transfer-Encoding: base64",
  "",
  "JVBERi0=",
  "--outer",
  "Content-Type: message/rfc822",
  "",
  "Subject: inner message",
  "Content-Type: multipart/mixed; boundary=deep",
  "",
  "--deep",
  "",
  "deep text",
  "--deep--",
  "--outer--",
  "epilogue",
]);

test("the MIME tree has every part with its byte offsets and BODYSTRUCTURE fields", () => {
  const { root } = parseMessage(NESTED);
  assert.equal(root.type, "multipart");
  assert.equal(root.children?.length, 3);
  const alternative = findPart(root, [1]);
  assert.equal(alternative?.subtype, "alternative");
  assert.equal(body(NESTED, findPart(root, [1, 1])), "plain line 1\r\nplain line 2");
  assert.equal(findPart(root, [1, 1])?.lines, 2);
  assert.equal(findPart(root, [1, 1])?.encoding, "quoted-printable");
  assert.equal(body(NESTED, findPart(root, [1, 2])), "<p>html</p>");
  const pdf = findPart(root, [2]);
  assert.deepEqual(
    pdf && {
      type: pdf.type,
      subtype: pdf.subtype,
      params: pdf.params,
      id: pdf.id,
      description: pdf.description,
      encoding: pdf.encoding,
      md5: pdf.md5,
      disposition: pdf.disposition,
      language: pdf.language,
      location: pdf.location,
      size: pdf.bodyEnd - pdf.bodyStart,
    },
    {
      type: "application",
      subtype: "pdf",
      params: [["name", "a.pdf"]],
      id: "<part3@x>",
      description: "the report",
      encoding: "base64",
      md5: "Q2hlY2sgSW50ZWdyaXR5IQ==",
      disposition: { type: "attachment", params: [["filename", "a.pdf"]] },
      language: ["en", "de"],
      location: "http://example.com/a.pdf",
      size: 8,
    },
  );
  const rfc822 = findPart(root, [3]);
  assert.equal(rfc822?.message?.envelope.subject, "inner message");
  assert.equal(rfc822?.message?.root.subtype, "mixed");
  assert.equal(body(NESTED, findPart(root, [3, 1])), "deep text");
  assert.equal(findPart(root, [3, 1])?.type, "text", "a part without header is text/plain");
  assert.deepEqual(findPart(root, [3, 1])?.params, [["charset", "us-ascii"]]);
  assert.equal(findPart(root, [4]), undefined);
  assert.equal(findPart(root, [1, 3]), undefined);
});

test("sections map to byte ranges as RFC 9051 §6.4.5 defines them", () => {
  const { root } = parseMessage(NESTED);
  const get = (part: number[], text: "" | "HEADER" | "TEXT" | "MIME"): string => {
    const range = sectionRange(root, { part, text });
    return range ? slice(NESTED, range.start, range.end) : "(none)";
  };
  assert.equal(get([], ""), slice(NESTED, 0, NESTED.byteLength));
  assert.equal(
    get([], "HEADER"),
    "From: a@b\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n",
  );
  assert.ok(get([], "TEXT").startsWith("preamble\r\n--outer"));
  assert.equal(get([1, 2], "MIME"), "Content-Type: text/html\r\n\r\n");
  assert.equal(
    get([3], "HEADER"),
    "Subject: inner message\r\nContent-Type: multipart/mixed; boundary=deep\r\n\r\n",
  );
  assert.ok(get([3], "").startsWith("Subject: inner message"));
  assert.equal(get([3], "TEXT"), "--deep\r\n\r\ndeep text\r\n--deep--");
  assert.equal(get([2], "HEADER"), "(none)", "HEADER of a non-message part");
  assert.equal(get([], "MIME"), "(none)");
  const single = crlf(["Subject: x", "", "only body"]);
  const singleRoot = parseMessage(single).root;
  const one = sectionRange(singleRoot, { part: [1], text: "" });
  assert.equal(
    one && slice(single, one.start, one.end),
    "only body",
    "part 1 of a single-part message",
  );
});

test("odd messages parse without throwing: LF endings, no header, no boundary, no body", () => {
  const lf = Buffer.from(
    "Subject: lf\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n--b--\n",
  );
  const lfRoot = parseMessage(lf).root;
  assert.deepEqual(
    lfRoot.children?.map((p) => body(lf, p)),
    ["one", "two"],
  );
  const noHeader = Buffer.from("\r\njust a body");
  assert.equal(body(noHeader, parseMessage(noHeader).root), "just a body");
  const noBody = Buffer.from("Subject: only a header\r\n");
  const noBodyRoot = parseMessage(noBody).root;
  assert.equal(noBodyRoot.bodyStart, noBody.byteLength);
  assert.equal(noBodyRoot.lines, 0);
  const noDelimiter = Buffer.from(
    "Content-Type: multipart/mixed; boundary=zz\r\n\r\nno parts here",
  );
  assert.equal(parseMessage(noDelimiter).root.children?.length, 1, "an empty part stands in");
  const noBoundary = Buffer.from("Content-Type: multipart/mixed\r\n\r\nbody");
  assert.equal(parseMessage(noBoundary).root.children, undefined);
  const unclosed = Buffer.from("Content-Type: multipart/mixed; boundary=u\r\n\r\n--u\r\n\r\nlast");
  assert.equal(body(unclosed, parseMessage(unclosed).root.children?.[0]), "last");
  const digest = Buffer.from(
    "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: in digest\r\n\r\nx\r\n--d--",
  );
  const digestPart = parseMessage(digest).root.children?.[0];
  assert.equal(`${digestPart?.type}/${digestPart?.subtype}`, "message/rfc822");
  assert.equal(digestPart?.message?.envelope.subject, "in digest");
});

test("a boundary must be at a line start and may not be a prefix of a longer word", () => {
  const s = "--a\r\nx --a\r\n--abc\r\n--a  \r\ny\r\n--a--";
  assert.deepEqual(
    splitMultipart(s, 0, s.length, "a").map(([a, b]) => s.slice(a, b)),
    ["x --a\r\n--abc", "y"],
  );
});

test("hostile nesting is bounded instead of recursing without end", () => {
  const depth = 500;
  let text = "";
  for (let i = 0; i < depth; i++)
    text += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
  text += "\r\nleaf\r\n";
  const { root } = parseMessage(Buffer.from(text));
  let levels = 0;
  for (let node: MimePart | undefined = root; node?.children; node = node.children[0]) levels++;
  assert.ok(levels <= 50, `${levels} levels`);
});

test("HEADER.FIELDS and HEADER.FIELDS.NOT keep matching fields, folding and the blank line", () => {
  const header = Buffer.from(
    "Subject: a\r\n folded\r\nFrom: x@y\r\nTo: z@w\r\nsubject: second\r\n\r\n",
  );
  assert.equal(
    Buffer.from(filterHeaderFields(header, ["SUBJECT"], false)).toString(),
    "Subject: a\r\n folded\r\nsubject: second\r\n\r\n",
  );
  assert.equal(
    Buffer.from(filterHeaderFields(header, ["subject", "to"], true)).toString(),
    "From: x@y\r\n\r\n",
  );
  assert.equal(Buffer.from(filterHeaderFields(header, ["X-None"], false)).toString(), "\r\n");
});

test("a top-level message/rfc822 is part 1, its header 1.HEADER and its body 1.1 (imaptest)", () => {
  const raw = crlf([
    "From: user@domain.org",
    "Content-Type: message/rfc822",
    "",
    "From: sub@domain.org",
    "Subject: submsg",
    "",
    "Hello world",
    "",
  ]);
  const { root } = parseMessage(raw);
  const get = (part: number[], text: "" | "HEADER" | "TEXT" | "MIME"): string => {
    const range = sectionRange(root, { part, text });
    return range ? slice(raw, range.start, range.end) : "(none)";
  };
  assert.equal(findPart(root, [1]), root, "part 1 of a non-multipart message is its body");
  assert.equal(get([1], ""), "From: sub@domain.org\r\nSubject: submsg\r\n\r\nHello world\r\n");
  assert.equal(get([1], "HEADER"), "From: sub@domain.org\r\nSubject: submsg\r\n\r\n");
  assert.equal(get([1], "TEXT"), "Hello world\r\n");
  assert.equal(get([1, 1], ""), "Hello world\r\n");
  assert.equal(get([1, 2], ""), "(none)");
  assert.equal(get([2], ""), "(none)");
  assert.equal(findPart(parseMessage(crlf(["Subject: x", "", "body"])).root, [1, 1]), undefined);
});
