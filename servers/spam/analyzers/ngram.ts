/**
 * The n-gram classifier's opinion (../ngram/models.ts) as one symbol by probability bucket,
 * beside the Bayes one: the two models make different mistakes, and the score table adds their
 * votes. The recipient's own correction joins when the message has a single recipient. Silent
 * until the operator seeded the global model.
 */
import { features } from "../ngram/features.ts";
import type { SymbolName } from "../scores.ts";
import type { Analyzer } from "./context.ts";

const BUCKETS: readonly [number, SymbolName][] = [
  [0.99, "NGRAM_SPAM_99"],
  [0.95, "NGRAM_SPAM_95"],
  [0.9, "NGRAM_SPAM_90"],
  [0.8, "NGRAM_SPAM_80"],
  [0.5, "NGRAM_SPAM_50"],
  [0.2, "NGRAM_UNSURE"],
  [0.05, "NGRAM_HAM_80"],
  [0.01, "NGRAM_HAM_95"],
  [0, "NGRAM_HAM_99"],
];

export function ngramSymbol(probability: number): SymbolName {
  return BUCKETS.find(([min]) => probability >= min)?.[1] ?? "NGRAM_HAM_99";
}

export const ngramAnalyzer: Analyzer = {
  name: "ngram",
  run(ctx) {
    const opinion = ctx.deps.ngram.classify(features(ctx.message), ctx.user);
    if (!opinion) return;
    const detail = `${(opinion.probability * 100).toFixed(1)}%${opinion.personal ? " (with the user's model)" : ""}`;
    ctx.add(ngramSymbol(opinion.probability), detail);
  },
};
