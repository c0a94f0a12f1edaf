/**
 * Robinson's token probabilities combined with Fisher's chi-square method, as SpamBayes does
 * (Gary Robinson, "A Statistical Approach to the Spam Problem", Linux Journal 2003; SpamBayes'
 * classifier.py `chi2_spamprob`).
 *
 * For each token, p = spamratio / (spamratio + hamratio), moved toward the unknown-word
 * probability x by the strength s when the token has been seen in few messages:
 * f = (s * x + n * p) / (s + n). The strongest clues (|f - 0.5| >= minStrength, at most
 * maxDiscriminators) are combined twice: S = 1 - C(-2 sum ln(1 - f), 2n) tests the hypothesis
 * "spam", H = 1 - C(-2 sum ln f, 2n) tests "ham", and the score is (S - H + 1) / 2 in [0, 1]:
 * near 1 spam, near 0 ham, near 0.5 unsure (or both strongly).
 */

export interface TokenCounts {
  readonly spam: number;
  readonly ham: number;
}

export interface ModelTotals {
  /** Messages learned as spam and as ham. */
  readonly spam: number;
  readonly ham: number;
}

export interface Chi2Options {
  /** s: how much weight the unknown-word probability has (SpamBayes 0.45). */
  readonly unknownWordStrength: number;
  /** x: probability of a token never seen (0.5). */
  readonly unknownWordProb: number;
  /** Clues closer to 0.5 than this are ignored (SpamBayes 0.1). */
  readonly minStrength: number;
  /** At most this many clues are combined (SpamBayes 150). */
  readonly maxDiscriminators: number;
}

export const DEFAULT_CHI2: Chi2Options = {
  unknownWordStrength: 0.45,
  unknownWordProb: 0.5,
  minStrength: 0.1,
  maxDiscriminators: 150,
};

export interface Clue {
  readonly token: string;
  readonly prob: number;
}

export interface Classification {
  /** 0 (ham) .. 1 (spam). */
  readonly score: number;
  /** The clues combined, strongest first. */
  readonly clues: readonly Clue[];
}

export function tokenProbability(
  counts: TokenCounts,
  totals: ModelTotals,
  options: Chi2Options = DEFAULT_CHI2,
): number {
  const spamRatio = totals.spam > 0 ? Math.min(1, counts.spam / totals.spam) : 0;
  const hamRatio = totals.ham > 0 ? Math.min(1, counts.ham / totals.ham) : 0;
  const sum = spamRatio + hamRatio;
  const n = counts.spam + counts.ham;
  if (sum === 0 || n === 0) return options.unknownWordProb;
  const p = spamRatio / sum;
  const s = options.unknownWordStrength;
  return (s * options.unknownWordProb + n * p) / (s + n);
}

/** C(x2, v): the probability that chi-square with v (even) degrees of freedom is >= x2. */
export function chi2Q(x2: number, v: number): number {
  const m = x2 / 2;
  let sum = Math.exp(-m);
  let term = sum;
  for (let i = 1; i < v / 2; i++) {
    term *= m / i;
    sum += term;
  }
  return Math.min(sum, 1);
}

export function classify(
  tokens: Iterable<string>,
  lookup: (token: string) => TokenCounts | undefined,
  totals: ModelTotals,
  options: Chi2Options = DEFAULT_CHI2,
): Classification {
  const clues: Clue[] = [];
  for (const token of tokens) {
    const counts = lookup(token);
    const prob = counts ? tokenProbability(counts, totals, options) : options.unknownWordProb;
    if (Math.abs(prob - 0.5) >= options.minStrength) clues.push({ token, prob });
  }
  clues.sort(
    (a, b) => Math.abs(b.prob - 0.5) - Math.abs(a.prob - 0.5) || (a.token < b.token ? -1 : 1),
  );
  const used = clues.slice(0, options.maxDiscriminators);
  if (used.length === 0) return { score: 0.5, clues: [] };
  // Sums of logs: products of many small numbers would underflow to 0.
  let lnHam = 0;
  let lnSpam = 0;
  for (const { prob } of used) {
    const p = Math.min(Math.max(prob, 1e-6), 1 - 1e-6);
    lnHam += Math.log(p);
    lnSpam += Math.log(1 - p);
  }
  const n = used.length;
  const spamness = 1 - chi2Q(-2 * lnSpam, 2 * n);
  const hamness = 1 - chi2Q(-2 * lnHam, 2 * n);
  return { score: (spamness - hamness + 1) / 2, clues: used };
}
