/**
 * Message HTML made safe to show: sanitize-html with an allow list (no script, no event handler,
 * no form, no frame, no `javascript:`), links that open a new window without access to us, inline
 * (cid:) images embedded, and remote images removed until the user allows them. <style> blocks
 * come out separately, sanitized and scoped (sanitize-css.ts). The result is
 * shown in a sandboxed frame whose CSP forbids script and remote loads anyway: this is the first
 * of two walls, not the only one.
 */
import sanitizeHtml from "sanitize-html";
import { sanitizeStylesheet, styleBlocks } from "./sanitize-css.ts";

export interface SanitizeOptions {
  /** Keep http(s) images; otherwise they are removed and counted. */
  readonly remoteImages: boolean;
  /** The data: URL of an inline part by Content-ID (without <>); undefined if there is none. */
  readonly inlineImage: (contentId: string) => string | undefined;
}

export interface SanitizedHtml {
  readonly html: string;
  /** The message's <style> blocks, sanitized and scoped to MESSAGE_SCOPE (sanitize-css.ts). */
  readonly css: string;
  /** How many remote images were removed (offer "show images" when above 0). */
  readonly blockedImages: number;
}

const TAGS = [
  ...sanitizeHtml.defaults.allowedTags,
  "img",
  "font",
  "center",
  "u",
  "s",
  "strike",
  "small",
  "big",
  "sup",
  "sub",
];

const PRESENTATION = [
  "align",
  "valign",
  "width",
  "height",
  "bgcolor",
  "color",
  "dir",
  "lang",
  "title",
  "border",
  "cellpadding",
  "cellspacing",
  "colspan",
  "rowspan",
  "style",
  // Newsletters' style sheets select by class and id (they are scoped to the message).
  "class",
  "id",
];

/**
 * A CSS value we keep: nothing that loads (url(), image-set(), @import), runs (expression(),
 * javascript:, -moz-binding, behavior) or hides an escape (backslashes).
 */
const SAFE_CSS_VALUE =
  /^(?!.*(url\s*\(|image-set|image\s*\(|expression|javascript:|binding|behavior|@import|\\)).*$/i;

const STYLE_PROPERTIES = [
  "color",
  "background-color",
  "font",
  "font-family",
  "font-size",
  "font-style",
  "font-weight",
  "text-align",
  "text-decoration",
  "text-transform",
  "line-height",
  "letter-spacing",
  "vertical-align",
  "white-space",
  "margin",
  "margin-top",
  "margin-right",
  "margin-bottom",
  "margin-left",
  "padding",
  "padding-top",
  "padding-right",
  "padding-bottom",
  "padding-left",
  "border",
  "border-top",
  "border-right",
  "border-bottom",
  "border-left",
  "border-color",
  "border-style",
  "border-width",
  "border-collapse",
  "border-radius",
  "width",
  "max-width",
  "min-width",
  "height",
  "max-height",
  "min-height",
  "display",
  "table-layout",
];

const REMOTE = /^(https?:)?\/\//i;

export function sanitizeMessageHtml(html: string, options: SanitizeOptions): SanitizedHtml {
  let blockedImages = 0;
  const result = sanitizeHtml(html, {
    allowedTags: TAGS,
    allowedAttributes: {
      "*": PRESENTATION,
      a: ["href", "name", "target", "rel"],
      img: ["src", "alt", "width", "height"],
      font: ["color", "size", "face"],
    },
    allowedStyles: {
      "*": Object.fromEntries(STYLE_PROPERTIES.map((p) => [p, [SAFE_CSS_VALUE]])),
    },
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesByTag: { img: ["data", ...(options.remoteImages ? ["http", "https"] : [])] },
    allowProtocolRelative: false,
    // Their content is not text to show.
    nonTextTags: ["script", "style", "textarea", "option", "noscript", "title", "head", "xmp"],
    transformTags: {
      a: (tagName, attribs) => ({
        tagName,
        attribs: { ...attribs, target: "_blank", rel: "noopener noreferrer" },
      }),
      img: (tagName, attribs) => {
        const { src = "", ...rest } = attribs;
        if (src.toLowerCase().startsWith("cid:")) {
          const data = options.inlineImage(decodeURIComponent(src.slice(4)));
          return { tagName, attribs: data === undefined ? rest : { ...rest, src: data } };
        }
        if (REMOTE.test(src) && !options.remoteImages) {
          blockedImages++;
          return { tagName, attribs: rest };
        }
        return { tagName, attribs };
      },
    },
  });
  const sheet = sanitizeStylesheet(styleBlocks(html).join("\n"), options);
  return { html: result, css: sheet.css, blockedImages: blockedImages + sheet.blockedImages };
}

/** Plain text as HTML: escaped, links made clickable the same safe way. */
export function textToHtml(text: string): string {
  const escaped = text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return escaped.replace(
    /\bhttps?:\/\/[^\s<>&"']+[^\s<>&"'.,;:!?)]/g,
    (url) => `<a href="${url}" target="_blank" rel="noopener noreferrer">${url}</a>`,
  );
}
