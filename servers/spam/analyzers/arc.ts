/**
 * ARC (RFC 8617 §5.2) from the shared mailauth run: the chain of custody validates, or a chain
 * is present and broken.
 */
import type { Analyzer } from "./context.ts";

export const arcAnalyzer: Analyzer = {
  name: "arc",
  async run(ctx) {
    const { arc } = await ctx.authentication();
    if (!arc) return;
    if (arc.status.result === "pass") ctx.add("ARC_PASS", `i=${String(arc.i ?? "?")}`);
    else if (arc.status.result === "fail") ctx.add("ARC_FAIL", arc.status.comment);
  },
};
