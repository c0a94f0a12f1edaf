/**
 * MIME sanity (RFC 2046): mail written by people's mail programs has a plain text part, and
 * when it also has HTML, both alternatives (§5.1.4) say the same thing. Bulk mailers send HTML
 * alone, or a plain part that has nothing to do with the HTML (text chosen to fool filters that
 * read only one of them).
 */
import type { TextPart } from "../message/parse.ts";
import type { Analyzer } from "./context.ts";

/** Below this share of common words the two alternatives are different texts. */
const MIN_OVERLAP = 0.3;
/** Alternatives with fewer distinct words than this are too short to compare. */
const MIN_WORDS = 10;

export const mimeAnalyzer: Analyzer = {
  name: "mime",
  run(ctx) {
    const { parts } = ctx.message;
    if (
      parts.length > 0 &&
      parts.every((p) => p.subtype === "html") &&
      parts.some((p) => p.text.trim() !== "")
    ) {
      ctx.add("MIME_HTML_ONLY");
    }
    const groups = new Map<number, TextPart[]>();
    for (const part of parts) {
      if (part.alternative === undefined) continue;
      groups.set(part.alternative, [...(groups.get(part.alternative) ?? []), part]);
    }
    for (const group of groups.values()) {
      const plain = group.find((p) => p.subtype === "plain");
      const html = group.find((p) => p.subtype === "html");
      if (!plain || !html) continue;
      const overlap = wordOverlap(plain.text, html.text);
      if (overlap !== undefined && overlap < MIN_OVERLAP) {
        ctx.add("MIME_ALTERNATIVE_MISMATCH", `${Math.round(overlap * 100)}% of words in common`);
        return;
      }
    }
  },
};

function wordSet(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []);
}

/** Share of the smaller text's distinct words that the other one has too. */
export function wordOverlap(a: string, b: string): number | undefined {
  const x = wordSet(a);
  const y = wordSet(b);
  const [small, large] = x.size <= y.size ? [x, y] : [y, x];
  if (small.size < MIN_WORDS) return undefined;
  let common = 0;
  for (const w of small) if (large.has(w)) common++;
  return common / small.size;
}
