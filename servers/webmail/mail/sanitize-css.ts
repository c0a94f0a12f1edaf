/**
 * A message's own <style> blocks, kept but made harmless: parsed with postcss, then rebuilt from
 * an allow list. Only style rules (and @media around them) survive; @import, @font-face,
 * @namespace and every other at-rule go; a declaration stays only for a known property whose
 * value neither loads nor runs anything (no expression(), behavior, -moz-binding, javascript:,
 * escapes); url() stays only for backgrounds, only http(s) once the user allows remote images
 * (cid: becomes the inline part's data: URL), and is otherwise dropped and counted as a blocked
 * image. Nothing may be fixed or sticky on screen. Every selector is scoped to the message's
 * element, and html/body/:root selectors become that element. The frame's CSP is the second
 * wall: it allows no style sheet, font or image from elsewhere until images are allowed.
 */
import { Parser } from "htmlparser2";
import postcss, { type AtRule, type ChildNode, type Rule } from "postcss";

/** The element that holds the message's HTML in its frame; every rule is scoped to it. */
export const MESSAGE_SCOPE = "[data-mailstack-message]";

/** Newsletters' sheets run to tens of KB; beyond this the styles are dropped, not the message. */
export const MAX_STYLESHEET_CHARS = 256 * 1024;
/** A value longer than this is not layout. */
const MAX_VALUE_CHARS = 2000;

export interface CssOptions {
  /** http(s) backgrounds allowed (the user allowed remote images). */
  readonly remoteImages: boolean;
  /** The data: URL of an inline part by Content-ID; undefined if there is none. */
  readonly inlineImage: (contentId: string) => string | undefined;
}

export interface SanitizedCss {
  readonly css: string;
  /** url()s held back until the user allows remote images. */
  readonly blockedImages: number;
}

const PROPERTIES = new Set([
  ...["color", "background", "background-color", "background-image", "background-position"],
  ...["background-repeat", "background-size", "opacity"],
  ...["font", "font-family", "font-size", "font-style", "font-weight", "font-variant"],
  ...["text-align", "text-decoration", "text-transform", "text-indent", "text-overflow"],
  ...["line-height", "letter-spacing", "word-spacing", "vertical-align", "white-space"],
  ...["word-break", "word-wrap", "overflow-wrap", "direction", "list-style", "list-style-type"],
  ...["margin", "margin-top", "margin-right", "margin-bottom", "margin-left"],
  ...["padding", "padding-top", "padding-right", "padding-bottom", "padding-left"],
  ...["border", "border-top", "border-right", "border-bottom", "border-left", "border-color"],
  ...["border-style", "border-width", "border-collapse", "border-spacing", "border-radius"],
  ...["width", "max-width", "min-width", "height", "max-height", "min-height"],
  ...["display", "table-layout", "float", "clear", "overflow", "overflow-x", "overflow-y"],
  ...["box-sizing", "visibility", "position", "top", "right", "bottom", "left"],
  ...["outline", "cursor", "text-size-adjust", "-webkit-text-size-adjust"],
  ...["-ms-text-size-adjust", "box-shadow", "text-shadow", "caption-side", "empty-cells"],
]);

/** Loads or runs something, or hides what it is (escapes, comments, markup). */
const DANGEROUS =
  /expression|javascript:|vbscript:|binding|behavior|@import|image-set|image\s*\(|element\s*\(|cross-fade|src\s*\(|var\s*\(|attr\s*\(|[\\<>]|\/\*/i;
const URL_FUNCTION = /url\s*\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)/gi;
const BACKGROUND = new Set(["background", "background-image"]);
/** What `position` may be: nothing laid over the message, fixed or stuck on the screen. */
const POSITIONS = new Set(["static", "relative"]);

/** What is kept of a declaration's value (undefined: nothing), and whether it held an image. */
interface Verdict {
  readonly value: string | undefined;
  readonly blockedImage: boolean;
}

const dropped: Verdict = { value: undefined, blockedImage: false };

function checkDeclaration(prop: string, raw: string, options: CssOptions): Verdict {
  const property = prop.toLowerCase();
  const value = raw.trim();
  if (!PROPERTIES.has(property) || value.length > MAX_VALUE_CHARS || DANGEROUS.test(value)) {
    return dropped;
  }
  if (property === "position" && !POSITIONS.has(value.toLowerCase())) return dropped;
  if (!/url\s*\(/i.test(value)) return { value, blockedImage: false };
  const remote = /https?:|\/\//i.test(value);
  // Elsewhere (cursor, content, list images) a url() is never kept, so not offered either.
  if (!BACKGROUND.has(property)) return dropped;
  let blocked = false;
  let refused = false;
  const rebuilt = value.replace(URL_FUNCTION, (_all, a?: string, b?: string, c?: string) => {
    // A protocol-relative URL is an https one here (the frame is served over https).
    const url = (a ?? b ?? c ?? "").trim().replace(/^\/\//, "https://");
    if (/^cid:/i.test(url)) {
      const data = options.inlineImage(decodeURIComponent(url.slice(4)));
      if (data === undefined) refused = true;
      return `url("${data ?? ""}")`;
    }
    if (/^https?:\/\/[^\s"'()]+$/i.test(url) && options.remoteImages) return `url("${url}")`;
    if (/^(https?:)?\/\//i.test(url)) blocked = true;
    else refused = true;
    return "";
  });
  // A url() the pattern did not take apart (odd quoting) is not kept either.
  if (refused || /url\s*\(\s*\)|url\s*\([^"]/i.test(rebuilt)) {
    return { value: undefined, blockedImage: blocked || remote };
  }
  // A remote background held back: the rest of the shorthand (its colour) still applies.
  const rest = rebuilt.trim();
  return { value: rest === "" ? undefined : rest, blockedImage: blocked };
}

/** `selector` limited to the message: html, body and :root become the message's element. */
export function scopeSelector(selector: string): string | undefined {
  let rest = selector.trim();
  if (rest === "" || /[\\<]|\/\*/.test(rest)) return undefined;
  let root = false;
  let joined = true;
  for (;;) {
    const match = /^(?:html|body|:root)(?![\w-])/i.exec(rest);
    if (match === null) break;
    root = true;
    const after = rest.slice(match[0].length);
    rest = after.replace(/^\s*>?\s*/, "");
    joined = rest === after;
  }
  if (rest === "") return MESSAGE_SCOPE;
  return root && joined ? `${MESSAGE_SCOPE}${rest}` : `${MESSAGE_SCOPE} ${rest}`;
}

/**
 * The sheet (the joined <style> blocks of a message), sanitized and scoped. The output is
 * written anew from what was kept (no raw text of the input: comments and odd spacing go).
 */
export function sanitizeStylesheet(css: string, options: CssOptions): SanitizedCss {
  if (css.trim() === "" || css.length > MAX_STYLESHEET_CHARS) return { css: "", blockedImages: 0 };
  let root;
  try {
    root = postcss.parse(css);
  } catch {
    return { css: "", blockedImages: 0 };
  }
  let blockedImages = 0;
  const rule = (node: Rule): string => {
    const selectors = node.selectors.map(scopeSelector);
    if (selectors.some((s) => s === undefined)) return "";
    const declarations: string[] = [];
    // Nested rules and at-rules (CSS nesting) would escape the scoping: only declarations.
    for (const child of node.nodes) {
      if (child.type !== "decl") continue;
      const verdict = checkDeclaration(child.prop, child.value, options);
      if (verdict.blockedImage) blockedImages++;
      if (verdict.value !== undefined) {
        declarations.push(
          `${child.prop.toLowerCase()}:${verdict.value}${child.important ? " !important" : ""}`,
        );
      }
    }
    return declarations.length === 0 ? "" : `${selectors.join(",")}{${declarations.join(";")}}`;
  };
  const media = (node: AtRule): string => {
    const params = node.params.trim();
    if (node.name.toLowerCase() !== "media" || DANGEROUS.test(params) || /url/i.test(params)) {
      return "";
    }
    const rules = (node.nodes ?? []).map((child: ChildNode) =>
      child.type === "rule" ? rule(child) : "",
    );
    const inner = rules.join("");
    return inner === "" ? "" : `@media ${params}{${inner}}`;
  };
  const out = root.nodes
    .map((node) => (node.type === "rule" ? rule(node) : node.type === "atrule" ? media(node) : ""))
    .filter((text) => text !== "")
    .join("\n");
  // Whatever happened above, nothing may close the <style> element it goes into.
  if (/</.test(out)) return { css: "", blockedImages };
  return { css: out, blockedImages };
}

/** The text of every <style> element of a message's HTML, as a browser would read it. */
export function styleBlocks(html: string): string[] {
  const blocks: string[] = [];
  let current: string[] | undefined;
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === "style") current = [];
      },
      ontext(text) {
        current?.push(text);
      },
      onclosetag(name) {
        if (name === "style" && current !== undefined) {
          blocks.push(current.join(""));
          current = undefined;
        }
      },
    },
    { decodeEntities: false, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return blocks;
}
