/**
 * The content classifier's opinion as one symbol, by probability bucket (the buckets' scores
 * are in scores.ts). The recipient's own model joins the global one when the message has a
 * single recipient; with several, the global model speaks alone. Silent while the models know
 * too little (bayes.minSpam / minHam).
 */
import { tokenize } from "../bayes/tokenizer.ts";
import type { SymbolName } from "../scores.ts";
import type { Analyzer } from "./context.ts";

/** Lower bounds of the buckets, highest first. */
const BUCKETS: readonly [number, SymbolName][] = [
  [0.99, "BAYES_SPAM_99"],
  [0.95, "BAYES_SPAM_95"],
  [0.9, "BAYES_SPAM_90"],
  [0.8, "BAYES_SPAM_80"],
  [0.5, "BAYES_SPAM_50"],
  [0.2, "BAYES_UNSURE"],
  [0.05, "BAYES_HAM_80"],
  [0.01, "BAYES_HAM_95"],
  [0, "BAYES_HAM_99"],
];

export function bayesSymbol(probability: number): SymbolName {
  return BUCKETS.find(([min]) => probability >= min)?.[1] ?? "BAYES_HAM_99";
}

export const bayesAnalyzer: Analyzer = {
  name: "bayes",
  run(ctx) {
    const tokens = tokenize(ctx.message, { mailFrom: ctx.facts.mailFrom });
    const opinion = ctx.deps.bayes.classify(tokens, ctx.user);
    if (!opinion) return;
    const detail = `${(opinion.probability * 100).toFixed(1)}%${opinion.personal ? " (with the user's model)" : ""}`;
    ctx.add(bayesSymbol(opinion.probability), detail);
  },
};
