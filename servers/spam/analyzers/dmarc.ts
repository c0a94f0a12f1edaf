/**
 * DMARC (RFC 7489 §6.6, RFC 9989) from the shared mailauth run. On failure the symbol names the
 * policy the author domain asks for, after mailauth applied sp=, np= and t=y; p=reject forces
 * the reject action (scores.ts). A message whose From has no single domain cannot be judged
 * (RFC 9989 §11.5 calls such mail suspicious). We do not (yet) let a trusted ARC sealer
 * override a DMARC failure (RFC 8617 §7.2).
 */
import type { AuthenticateResult } from "mailauth";
import type { AnalysisContext, Analyzer } from "./context.ts";

export const dmarcAnalyzer: Analyzer = {
  name: "dmarc",
  async run(ctx) {
    const result = await ctx.authentication();
    addDmarcSymbols(ctx, result);
  },
};

function addDmarcSymbols(ctx: AnalysisContext, result: AuthenticateResult): void {
  const { dmarc, dmarcSkipReason } = result;
  if (!dmarc) {
    if (dmarcSkipReason !== undefined && dmarcSkipReason !== "no-author-domain") {
      ctx.add("DMARC_BAD_FROM", dmarcSkipReason);
    }
    return;
  }
  const domain: string | undefined = dmarc.status.header?.from;
  switch (dmarc.status.result) {
    case "pass":
      return ctx.add("DMARC_PASS", domain);
    case "temperror":
    case "temperr":
      return ctx.add("DMARC_TEMPERROR", domain);
    case "fail": {
      const policy = dmarc.policy ?? "none";
      const detail = `${domain ?? "?"} p=${policy}`;
      if (policy === "reject") return ctx.add("DMARC_FAIL_REJECT", detail);
      if (policy === "quarantine") return ctx.add("DMARC_FAIL_QUARANTINE", detail);
      return ctx.add("DMARC_FAIL_NONE", detail);
    }
    default:
      return;
  }
}
