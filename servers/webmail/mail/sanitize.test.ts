/**
 * Hostile HTML through the sanitizer: every input is one trick mail has used to run script, load
 * something remote, or trap a click; the output must keep none of it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hostileHtml } from "../testing/hostile-html.ts";
import { sanitizeMessageHtml, textToHtml } from "./sanitize.ts";

const blocked = { remoteImages: false, inlineImage: () => undefined };
const clean = (html: string) => sanitizeMessageHtml(html, blocked).html;

/** Things no sanitized output may contain, whatever the input. */
const FORBIDDEN = [
  /<script/i,
  /\son\w+\s*=/i,
  /javascript:/i,
  /vbscript:/i,
  /<iframe/i,
  /<frame/i,
  /<object/i,
  /<embed/i,
  /<form/i,
  /<input/i,
  /<button/i,
  /<meta/i,
  /<link/i,
  /<base/i,
  /<style/i,
  /<svg/i,
  /expression\s*\(/i,
  /url\s*\(/i,
  /evil\.test/i,
  /__pwned/,
  /srcdoc/i,
];

const HOSTILE = hostileHtml("https://evil.test");

describe("sanitizing message HTML", () => {
  for (const [name, html] of HOSTILE) {
    it(`removes the danger: ${name}`, () => {
      const out = clean(html);
      for (const pattern of FORBIDDEN) assert.doesNotMatch(out, pattern, `${pattern} in ${out}`);
    });
  }

  it("counts remote images it removed, and keeps them when the user allows", () => {
    const html = `<p>x</p><img src="https://img.example/a.png" alt="a"><img src="http://img.example/b.png">`;
    const blockedOut = sanitizeMessageHtml(html, blocked);
    assert.equal(blockedOut.blockedImages, 2);
    assert.doesNotMatch(blockedOut.html, /img\.example/);
    const allowed = sanitizeMessageHtml(html, { remoteImages: true, inlineImage: () => undefined });
    assert.equal(allowed.blockedImages, 0);
    assert.match(allowed.html, /<img src="https:\/\/img\.example\/a\.png" alt="a" \/>/);
  });

  it("still refuses javascript: images when remote images are allowed", () => {
    const out = sanitizeMessageHtml(`<img src="javascript:alert(1)">`, {
      remoteImages: true,
      inlineImage: () => undefined,
    }).html;
    assert.doesNotMatch(out, /javascript/i);
  });

  it("embeds inline images by Content-ID", () => {
    const out = sanitizeMessageHtml(`<img src="cid:logo@x" alt="logo"><img src="cid:missing">`, {
      remoteImages: false,
      inlineImage: (id) => (id === "logo@x" ? "data:image/png;base64,AAAA" : undefined),
    });
    assert.match(out.html, /<img alt="logo" src="data:image\/png;base64,AAAA" \/>/);
    assert.match(out.html, /<img \/>/);
  });

  it("makes links open a new window without opener or referrer", () => {
    const out = clean(`<a href="https://example.com/x" target="_self" rel="opener">x</a>`);
    assert.equal(
      out,
      `<a href="https://example.com/x" target="_blank" rel="noopener noreferrer">x</a>`,
    );
  });

  it("keeps ordinary formatting and safe inline styles", () => {
    const out = clean(
      `<table border="0"><tr><td style="color: #333; padding: 4px; background-image: url(x)"><b>Hi</b> <font color="red">there</font></td></tr></table>`,
    );
    assert.match(out, /<td style="color:#333;padding:4px">/);
    assert.match(out, /<b>Hi<\/b> <font color="red">there<\/font>/);
  });

  it("plain text becomes escaped HTML with safe links", () => {
    assert.equal(
      textToHtml(`<b>x</b> see https://example.com/a?b=1.`),
      `&#60;b&#62;x&#60;/b&#62; see <a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer">https://example.com/a?b=1</a>.`,
    );
  });
});
