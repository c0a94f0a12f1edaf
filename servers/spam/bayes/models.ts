/**
 * The classifier's models in the database: the global model, and one per user. A message is
 * judged by both at once: each token's counts are the global counts plus the user's counts
 * times `userWeight` (and the class totals likewise), so a user's own lessons weigh more than
 * anyone else's and take over as they accumulate, while a user who taught nothing gets the
 * global opinion.
 */
import type { StatementSync } from "node:sqlite";
import type { Database } from "../database.ts";
import { CachedCounts } from "./global-counts.ts";
import {
  classify,
  DEFAULT_CHI2,
  type Chi2Options,
  type Clue,
  type ModelTotals,
  type TokenCounts,
} from "./chi2.ts";

export type Verdict = "spam" | "ham";

export const GLOBAL_MODEL = "global";

export function userModel(user: string): string {
  return `user:${user.toLowerCase()}`;
}

export interface BayesOptions {
  /** Messages of each class (merged, weighted) needed before the model gives an opinion. */
  readonly minSpam: number;
  readonly minHam: number;
  readonly userWeight: number;
  readonly chi2?: Chi2Options;
}

export interface BayesOpinion {
  /** Probability of spam, 0..1. */
  readonly probability: number;
  readonly clues: readonly Clue[];
  /** Whether a user's own model took part. */
  readonly personal: boolean;
}

interface CountRow {
  token: string;
  spam: number;
  ham: number;
}

export class BayesModels {
  readonly #db: Database;
  readonly #options: BayesOptions;
  readonly #lookup: StatementSync;
  readonly #totals: StatementSync;
  readonly #upsert: StatementSync;
  readonly #prune: StatementSync;
  readonly #upsertTotals: StatementSync;
  readonly #global: CachedCounts;

  constructor(db: Database, options: BayesOptions) {
    this.#db = db;
    this.#options = options;
    this.#global = new CachedCounts(db, GLOBAL_MODEL);
    this.#lookup = db.prepare(
      "SELECT token, spam, ham FROM tokens WHERE model = ? AND token IN (SELECT value FROM json_each(?))",
    );
    this.#totals = db.prepare("SELECT spam, ham FROM totals WHERE model = ?");
    this.#upsert = db.prepare(
      `INSERT INTO tokens (model, token, spam, ham) VALUES (?1, ?2, MAX(?3, 0), MAX(?4, 0))
       ON CONFLICT (model, token) DO UPDATE SET spam = MAX(spam + ?3, 0), ham = MAX(ham + ?4, 0)`,
    );
    this.#prune = db.prepare(
      "DELETE FROM tokens WHERE model = ? AND spam = 0 AND ham = 0 AND token IN (SELECT value FROM json_each(?))",
    );
    this.#upsertTotals = db.prepare(
      `INSERT INTO totals (model, spam, ham) VALUES (?1, MAX(?2, 0), MAX(?3, 0))
       ON CONFLICT (model) DO UPDATE
       SET spam = MAX(spam + ?2, 0), ham = MAX(ham + ?3, 0), version = version + 1`,
    );
  }

  totals(model: string): ModelTotals {
    const row = this.#totals.get(model) as { spam: number; ham: number } | undefined;
    return { spam: row?.spam ?? 0, ham: row?.ham ?? 0 };
  }

  #counts(model: string, tokens: readonly string[]): Map<string, TokenCounts> {
    const rows = this.#lookup.all(model, JSON.stringify(tokens)) as unknown as CountRow[];
    return new Map(rows.map((r) => [r.token, { spam: r.spam, ham: r.ham }]));
  }

  /** The opinion of the global model joined with `user`'s; undefined while it knows too little. */
  classify(tokens: readonly string[], user?: string): BayesOpinion | undefined {
    const global = this.#global.current();
    const globalTotals = global.totals;
    let personal = false;
    let lookup = (token: string): TokenCounts | undefined => global.get(token);
    let totals = globalTotals;
    if (user !== undefined) {
      const model = userModel(user);
      const own = this.totals(model);
      if (own.spam + own.ham > 0) {
        personal = true;
        const w = this.#options.userWeight;
        const mine = this.#counts(model, tokens);
        lookup = (token) => {
          const g = global.get(token);
          const c = mine.get(token);
          if (!c) return g;
          return { spam: (g?.spam ?? 0) + w * c.spam, ham: (g?.ham ?? 0) + w * c.ham };
        };
        totals = { spam: globalTotals.spam + w * own.spam, ham: globalTotals.ham + w * own.ham };
      }
    }
    if (totals.spam < this.#options.minSpam || totals.ham < this.#options.minHam) return undefined;
    const result = classify(tokens, lookup, totals, this.#options.chi2 ?? DEFAULT_CHI2);
    return { probability: result.score, clues: result.clues, personal };
  }

  /**
   * Adds (delta 1) or removes (delta -1) one message's tokens to a model. Counts never go below
   * zero, and rows that reach zero are removed. Call inside a transaction for speed.
   */
  train(model: string, tokens: readonly string[], verdict: Verdict, delta: 1 | -1): void {
    const spam = verdict === "spam" ? delta : 0;
    const ham = verdict === "ham" ? delta : 0;
    for (const token of tokens) this.#upsert.run(model, token, spam, ham);
    if (delta < 0) this.#prune.run(model, JSON.stringify(tokens));
    this.#upsertTotals.run(model, spam, ham);
  }

  get db(): Database {
    return this.#db;
  }
}
