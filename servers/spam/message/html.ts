/**
 * HTML reduced to what a reader sees, and the links it holds. A tolerant linear scan, not a
 * browser: comments, <script> and <style> are dropped, block tags become line breaks, character
 * references are decoded (HTML 5 §13.5 numeric forms and the common named ones), and each
 * <a href> is kept with the text shown for it, so an analyzer can compare the two.
 */

export interface HtmlLink {
  readonly url: string;
  /** The visible text inside the anchor. */
  readonly text?: string;
  readonly kind: "href" | "img";
}

export interface HtmlText {
  readonly text: string;
  readonly links: readonly HtmlLink[];
}

const BLOCK_TAGS = new Set([
  "br", "p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
  "blockquote", "pre", "hr", "title", "td", "th", "center", "form",
]); // prettier-ignore
const SKIPPED_CONTENT = new Set(["script", "style", "head"]);
const MAX_LINKS = 500;

const NAMED: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", copy: "©", reg: "®",
  trade: "™", euro: "€", pound: "£", yen: "¥", cent: "¢", middot: "·", bull: "•",
  hellip: "…", mdash: "—", ndash: "–", lsquo: "‘", rsquo: "’", ldquo: "“", rdquo: "”",
  laquo: "«", raquo: "»", shy: "", zwnj: "", zwj: "",
}; // prettier-ignore

export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(
    /&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z][a-zA-Z0-9]{1,31});?/g,
    (all, ref: string) => {
      if (ref.startsWith("#")) {
        const code =
          ref[1] === "x" || ref[1] === "X"
            ? parseInt(ref.slice(2), 16)
            : parseInt(ref.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "\ufffd";
      }
      return NAMED[ref.toLowerCase()] ?? all;
    },
  );
}

function attribute(tag: string, name: string): string | undefined {
  const re = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i");
  const m = re.exec(tag);
  if (!m) return undefined;
  return decodeEntities(m[1] ?? m[2] ?? m[3] ?? "").trim();
}

export function htmlToText(html: string): HtmlText {
  let text = "";
  const links: HtmlLink[] = [];
  let anchor: { url: string; start: number } | undefined;
  let i = 0;
  const closeAnchor = (): void => {
    if (!anchor) return;
    const shown = text.slice(anchor.start).replace(/\s+/g, " ").trim();
    if (links.length < MAX_LINKS) links.push({ url: anchor.url, text: shown, kind: "href" });
    anchor = undefined;
  };
  while (i < html.length) {
    const lt = html.indexOf("<", i);
    if (lt < 0) {
      text += decodeEntities(html.slice(i));
      break;
    }
    text += decodeEntities(html.slice(i, lt));
    if (html.startsWith("<!--", lt)) {
      const end = html.indexOf("-->", lt + 4);
      i = end < 0 ? html.length : end + 3;
      continue;
    }
    const gt = html.indexOf(">", lt + 1);
    if (gt < 0) {
      // A lone "<" in text, as sloppy HTML has.
      text += html.slice(lt);
      break;
    }
    const tag = html.slice(lt, gt + 1);
    const m = /^<\s*(\/?)\s*([a-zA-Z][a-zA-Z0-9]*)/.exec(tag);
    i = gt + 1;
    if (!m) {
      if (!/^<[!?]/.test(tag)) text += decodeEntities(tag);
      continue;
    }
    const closing = m[1] === "/";
    const name = (m[2] ?? "").toLowerCase();
    if (!closing && SKIPPED_CONTENT.has(name)) {
      const end = html.toLowerCase().indexOf(`</${name}`, i);
      if (name === "head") {
        const title = /<title[^>]*>([^<]*)/i.exec(html.slice(i, end < 0 ? undefined : end));
        if (title?.[1]) text += `${decodeEntities(title[1])}\n`;
      }
      i = end < 0 ? html.length : html.indexOf(">", end) + 1 || html.length;
      continue;
    }
    if (name === "a") {
      closeAnchor();
      const href = closing ? undefined : attribute(tag, "href");
      if (href !== undefined && href !== "") anchor = { url: href, start: text.length };
    } else if (name === "img" && !closing) {
      const src = attribute(tag, "src");
      if (src && links.length < MAX_LINKS) links.push({ url: src, kind: "img" });
      const alt = attribute(tag, "alt");
      if (alt) text += ` ${alt} `;
    }
    if (BLOCK_TAGS.has(name)) text += "\n";
    else if (name === "td" || name === "span" || name === "font") text += " ";
  }
  closeAnchor();
  return { text: text.replace(/[ \t\u00a0]+/g, " ").replace(/\n\s*\n+/g, "\n\n"), links };
}
