/**
 * DKIM (RFC 6376 §6.1) from the shared mailauth run: valid when any signature verifies,
 * invalid when signatures exist and none does, temperror when no key could be fetched.
 */
import type { Analyzer } from "./context.ts";

export const dkimAnalyzer: Analyzer = {
  name: "dkim",
  async run(ctx) {
    const { dkim } = await ctx.authentication();
    const signatures = (dkim.results ?? []).filter((r) => r.signingDomain !== undefined);
    if (signatures.length === 0) return;
    const passed = signatures.filter((r) => r.status.result === "pass");
    if (passed.length > 0) {
      ctx.add("DKIM_VALID", passed.map((r) => r.signingDomain).join(","));
    } else if (signatures.every((r) => r.status.result === "temperror")) {
      ctx.add("DKIM_TEMPERROR", signatures.map((r) => r.signingDomain).join(","));
    } else {
      ctx.add(
        "DKIM_INVALID",
        signatures.map((r) => `${r.signingDomain}: ${r.status.result}`).join(", "),
      );
    }
  },
};
