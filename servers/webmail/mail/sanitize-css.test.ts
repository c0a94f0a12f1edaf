/**
 * Newsletters' <style> blocks through the CSS sanitizer: ordinary rules kept and scoped to the
 * message, everything that loads, runs or lays itself over the page dropped; and the hostile set
 * (testing/hostile-html.ts) through the whole sanitizer, checking the style sheet it gives too.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hostileHtml } from "../testing/hostile-html.ts";
import { sanitizeMessageHtml } from "./sanitize.ts";
import {
  MESSAGE_SCOPE,
  sanitizeStylesheet,
  scopeSelector,
  styleBlocks,
  type CssOptions,
} from "./sanitize-css.ts";

const blocked: CssOptions = { remoteImages: false, inlineImage: () => undefined };
const allowed: CssOptions = { remoteImages: true, inlineImage: () => undefined };
const S = MESSAGE_SCOPE;
const css = (sheet: string, options = blocked) => sanitizeStylesheet(sheet, options).css;

describe("sanitizing a message's style sheet", () => {
  it("keeps ordinary rules, scoped to the message", () => {
    assert.equal(
      css(
        `.btn { color: #fff; background-color: #1f5fbf !important } table td, h1 { padding: 4px }`,
      ),
      `${S} .btn{color:#fff;background-color:#1f5fbf !important}\n${S} table td,${S} h1{padding:4px}`,
    );
  });

  it("makes html, body and :root the message's element", () => {
    assert.equal(scopeSelector("body"), S);
    assert.equal(scopeSelector("html body"), S);
    assert.equal(scopeSelector(":root"), S);
    assert.equal(scopeSelector("body > table"), `${S} table`);
    assert.equal(scopeSelector("body.dark p"), `${S}.dark p`);
    assert.equal(scopeSelector("#bodyTable"), `${S} #bodyTable`);
    assert.equal(scopeSelector("tbody td"), `${S} tbody td`);
    assert.equal(scopeSelector("a\\62 c"), undefined);
  });

  it("keeps @media around rules, and no other at-rule", () => {
    const out = css(
      `@charset "utf-8"; @import "x.css"; @namespace svg url(http://www.w3.org/2000/svg);
       @font-face { font-family: f; src: local(Arial) } @keyframes k { from { color: red } }
       @supports (display: grid) { p { color: red } } @page { margin: 0 }
       @media screen and (max-width: 600px) { .col { width: 100% !important } }`,
    );
    assert.equal(out, `@media screen and (max-width: 600px){${S} .col{width:100% !important}}`);
  });

  it("drops what runs code or hides itself", () => {
    assert.equal(
      css(
        `p { width: expression(alert(1)); behavior: url(x.htc); -moz-binding: url(x.xml#y);
             color: red; background: u\\72l(https://evil.test/a); font-family: "a/*x*/b";
             --x: url(https://evil.test/v); border-color: var(--x); margin: attr(x) }`,
      ),
      `${S} p{color:red}`,
    );
  });

  it("holds back remote backgrounds until images are allowed, and counts them", () => {
    const sheet = `.a { background: #eee url("https://img.test/a.png") no-repeat }
      .b { background-image: url(http://img.test/b.png) } .c { background-image: url(//img.test/c.png) }`;
    const held = sanitizeStylesheet(sheet, blocked);
    assert.equal(held.blockedImages, 3);
    assert.equal(held.css, `${S} .a{background:#eee  no-repeat}`);
    const shown = sanitizeStylesheet(sheet, allowed);
    assert.equal(shown.blockedImages, 0);
    assert.equal(
      shown.css,
      `${S} .a{background:#eee url("https://img.test/a.png") no-repeat}\n${S} .b{background-image:url("http://img.test/b.png")}\n${S} .c{background-image:url("https://img.test/c.png")}`,
    );
  });

  it("never loads through other properties, even with images allowed", () => {
    const sheet = `a { cursor: url(https://img.test/c.cur), auto } li { list-style-image: url(https://img.test/l.png) }
      p::before { content: url(https://img.test/b.png) } .s { background-image: image-set("https://img.test/s.png" 1x) }
      .j { background-image: url(javascript:alert(1)) } .d { background-image: url(data:image/svg+xml,x) }`;
    assert.equal(css(sheet, allowed), "");
  });

  it("embeds inline (cid:) backgrounds", () => {
    const out = css(
      `.logo { background-image: url(cid:logo@x) } .gone { background: url(cid:none) }`,
      {
        remoteImages: false,
        inlineImage: (id) => (id === "logo@x" ? "data:image/png;base64,AAAA" : undefined),
      },
    );
    assert.equal(out, `${S} .logo{background-image:url("data:image/png;base64,AAAA")}`);
  });

  it("lets nothing be fixed or sticky over the message", () => {
    assert.equal(
      css(
        `.o { position: fixed; top: 0 } .s { position: sticky } .a { position: absolute } .r { position: relative }`,
      ),
      `${S} .o{top:0}\n${S} .r{position:relative}`,
    );
  });

  it("drops nested rules, which would escape the scope", () => {
    assert.equal(
      css(`.n { color: red; & p { color: blue } :root & { color: green } }`),
      `${S} .n{color:red}`,
    );
  });

  it("gives nothing for a sheet it cannot parse, one too large, or one that could close <style>", () => {
    assert.equal(css(`p { color: red; .x { `), "");
    assert.equal(css(`p{color:red}`.repeat(30_000)), "");
    assert.equal(css(`p { font-family: "</style><script>alert(1)</script>" }`), "");
    assert.equal(css(`p</style> { color: red }`), "");
  });

  it("finds the <style> blocks wherever they are, not inside comments", () => {
    assert.deepEqual(
      styleBlocks(
        `<head><style>a{color:red}</style></head><body><!--<style>x{}</style>--><STYLE media="screen">p{}</STYLE></body>`,
      ),
      ["a{color:red}", "p{}"],
    );
  });
});

/** Nothing of these may be in a sanitized sheet, whatever the message. */
const FORBIDDEN_CSS = [
  /url\s*\(/i,
  /evil\.test/i,
  /@import/i,
  /@font-face/i,
  /expression/i,
  /binding/i,
  /behavior/i,
  /javascript/i,
  /image-set/i,
  /var\(/i,
  /position:\s*fixed/i,
  /</,
  /\\/,
];

describe("hostile messages: the style sheet that comes out", () => {
  for (const [name, html] of hostileHtml("https://evil.test")) {
    it(`holds nothing that loads or runs: ${name}`, () => {
      const out = sanitizeMessageHtml(html, blocked);
      for (const pattern of FORBIDDEN_CSS)
        assert.doesNotMatch(out.css, pattern, `${pattern} in ${out.css}`);
    });
  }

  it("keeps the harmless part of a hostile sheet and counts its held-back image", () => {
    const html =
      hostileHtml("https://evil.test").find(([name]) => name === "style: remote background")?.[1] ??
      "";
    const out = sanitizeMessageHtml(html, blocked);
    assert.equal(out.css, `${S} .bg{background:#eee}`);
    assert.equal(out.blockedImages, 1);
    assert.match(out.html, /<div class="bg">x<\/div>/);
  });
});
