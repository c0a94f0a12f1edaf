/**
 * Virus scanning through clamd (clamd.ts), when configured; off by default. Malware forces the
 * reject action (scores.ts). A scan that fails adds a symbol worth nothing, so the log and the
 * answer show the message went unscanned; the message is not held back for it.
 */
import type { Analyzer } from "./context.ts";

export const virusAnalyzer: Analyzer = {
  name: "virus",
  async run(ctx) {
    const clamd = ctx.deps.clamd;
    if (!clamd) return;
    try {
      const result = await clamd.scan(ctx.facts.raw);
      if (result.infected) ctx.add("VIRUS_FOUND", result.signature);
    } catch (error) {
      ctx.deps.log.warn({ err: (error as Error).message }, "virus scan failed");
      ctx.add("VIRUS_SCAN_FAILED", (error as Error).message);
    }
  },
};
