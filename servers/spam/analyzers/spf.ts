/**
 * SPF (RFC 7208 §2.6) from the shared mailauth run (context.authentication): one symbol per
 * result. Not judged for trusted clients (local relays), whose address says nothing about the
 * sender's domain.
 */
import type { Analyzer } from "./context.ts";

export const spfAnalyzer: Analyzer = {
  name: "spf",
  async run(ctx) {
    if (ctx.trusted) return;
    const { spf } = await ctx.authentication();
    if (!spf) return;
    const detail = spf.domain ? `${spf.status.result} for ${spf.domain}` : spf.status.result;
    switch (spf.status.result) {
      case "pass":
        return ctx.add("SPF_PASS", detail);
      case "fail":
        return ctx.add("SPF_FAIL", detail);
      case "softfail":
        return ctx.add("SPF_SOFTFAIL", detail);
      case "neutral":
        return ctx.add("SPF_NEUTRAL", detail);
      case "none":
        return ctx.add("SPF_NONE", detail);
      case "permerror":
        return ctx.add("SPF_PERMERROR", detail);
      case "temperror":
      case "temperr":
        return ctx.add("SPF_TEMPERROR", detail);
      default:
        return;
    }
  },
};
