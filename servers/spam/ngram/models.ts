/**
 * The second content classifier: logistic regression over hashed character 4-grams
 * (features.ts), trained online as in Goodman and Yih's "Online Discriminative Spam Filter
 * Training" (CEAS 2006). A message's feature vector is binary and normalized to length 1, so
 * one update moves any other message's log-odds by at most `rate` times the cosine similarity
 * of the two: lessons carry over to look-alike mail and barely touch the rest.
 *
 * - The global model is a dense vector (2^20 float32, 4 MiB) kept as one row in the database
 *   and in memory in each worker, reloaded when its version changes. The operator's seed corpus
 *   trains it in several passes (`seed`); after that it learns only what the votes decide
 *   (bayes/learning.ts), one message at a time.
 * - A user's model is a sparse correction added to the global one, learned from that user's own
 *   reports (train until the message is on the user's side, a few steps at most).
 */
import type { StatementSync } from "node:sqlite";
import type { Database } from "../database.ts";
import { FEATURE_SPACE } from "./features.ts";

export type Verdict = "spam" | "ham";

/** Passes and step of the seed training (chosen on held-out training mail). */
export const SEED_EPOCHS = 5;
export const SEED_RATE = 30;
/** Step of one online lesson, and how many steps a lesson may take. */
export const ONLINE_RATE = 2;
const ONLINE_STEPS = 5;
/** A lesson stops once the message is this sure on the taught side. */
const LEARNED = 0.9;

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export class NgramModels {
  readonly #db: Database;
  #global: Float32Array | undefined;
  #version = -1;
  readonly #readVersion: StatementSync;
  readonly #load: StatementSync;
  readonly #save: StatementSync;
  readonly #userWeights: StatementSync;
  readonly #hasUser: StatementSync;
  readonly #upsertUser: StatementSync;

  constructor(db: Database) {
    this.#db = db;
    this.#readVersion = db.prepare("SELECT version FROM ngram_global WHERE id = 1");
    this.#load = db.prepare("SELECT version, weights FROM ngram_global WHERE id = 1");
    this.#save = db.prepare(
      `INSERT INTO ngram_global (id, version, weights) VALUES (1, 1, ?1)
       ON CONFLICT (id) DO UPDATE SET version = version + 1, weights = ?1`,
    );
    this.#userWeights = db.prepare(
      "SELECT feature, weight FROM ngram_user WHERE user = ? AND feature IN (SELECT value FROM json_each(?))",
    );
    this.#hasUser = db.prepare("SELECT 1 AS found FROM ngram_user WHERE user = ? LIMIT 1");
    this.#upsertUser = db.prepare(
      `INSERT INTO ngram_user (user, feature, weight) VALUES (?1, ?2, ?3)
       ON CONFLICT (user, feature) DO UPDATE SET weight = weight + ?3`,
    );
  }

  /** The global vector, reloaded when another process changed it; undefined before any seed. */
  #weights(): Float32Array | undefined {
    const row = this.#readVersion.get() as { version: number } | undefined;
    if (!row) return undefined;
    if (row.version !== this.#version || !this.#global) {
      const full = this.#load.get() as { version: number; weights: Uint8Array };
      const copy = new Uint8Array(full.weights);
      this.#global = new Float32Array(copy.buffer, 0, FEATURE_SPACE);
      this.#version = full.version;
    }
    return this.#global;
  }

  #userCorrection(
    user: string | undefined,
    features: Uint32Array,
  ): Map<number, number> | undefined {
    if (user === undefined || !this.#hasUser.get(user.toLowerCase())) return undefined;
    const rows = this.#userWeights.all(
      user.toLowerCase(),
      JSON.stringify([...features]),
    ) as unknown as {
      feature: number;
      weight: number;
    }[];
    return new Map(rows.map((r) => [r.feature, r.weight]));
  }

  #logit(
    global: Float32Array,
    features: Uint32Array,
    own: Map<number, number> | undefined,
  ): number {
    let z = 0;
    for (const f of features) z += (global[f] ?? 0) + (own?.get(f) ?? 0);
    return z / Math.sqrt(Math.max(1, features.length));
  }

  /** Probability of spam, or undefined while the global model is untrained. */
  classify(
    features: Uint32Array,
    user?: string,
  ): { probability: number; personal: boolean } | undefined {
    const global = this.#weights();
    if (!global || features.length === 0) return undefined;
    const own = this.#userCorrection(user, features);
    return {
      probability: sigmoid(this.#logit(global, features, own)),
      personal: own !== undefined,
    };
  }

  /** Trains the global model on a corpus from scratch (deterministic order), and stores it. */
  seed(examples: readonly { readonly features: Uint32Array; readonly verdict: Verdict }[]): void {
    const w = this.#weights()?.slice() ?? new Float32Array(FEATURE_SPACE);
    const order = examples
      .map((e, i) => ({ e, key: Math.imul(i + 1, 2654435761) >>> 0 }))
      .sort((a, b) => a.key - b.key);
    for (let epoch = 0; epoch < SEED_EPOCHS; epoch++) {
      for (const { e } of order) step(w, e.features, e.verdict, SEED_RATE);
    }
    this.#store(w);
  }

  /** One lesson for the global model (a vote's majority). Call inside a transaction. */
  learnGlobal(features: Uint32Array, verdict: Verdict): void {
    const current = this.#weights();
    if (!current) return; // nothing to correct before the operator seeded the model
    const w = current.slice();
    for (
      let i = 0;
      i < ONLINE_STEPS && !learned(this.#logit(w, features, undefined), verdict);
      i++
    ) {
      step(w, features, verdict, ONLINE_RATE);
    }
    this.#store(w);
  }

  /** One lesson for a user's correction. Call inside a transaction. */
  learnUser(user: string, features: Uint32Array, verdict: Verdict): void {
    const global = this.#weights() ?? new Float32Array(FEATURE_SPACE);
    const name = user.toLowerCase();
    const own = this.#userCorrection(name, features) ?? new Map<number, number>();
    const norm = 1 / Math.sqrt(Math.max(1, features.length));
    const delta = new Map<number, number>();
    for (
      let i = 0;
      i < ONLINE_STEPS && !learned(this.#logit(global, features, own), verdict);
      i++
    ) {
      const g =
        ((verdict === "spam" ? 1 : 0) - sigmoid(this.#logit(global, features, own))) *
        ONLINE_RATE *
        norm;
      for (const f of features) {
        own.set(f, (own.get(f) ?? 0) + g);
        delta.set(f, (delta.get(f) ?? 0) + g);
      }
    }
    for (const [f, d] of delta) this.#upsertUser.run(name, f, d);
  }

  #store(w: Float32Array): void {
    this.#save.run(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
    this.#global = w;
    this.#version = (this.#readVersion.get() as { version: number }).version;
  }

  get db(): Database {
    return this.#db;
  }
}

function learned(z: number, verdict: Verdict): boolean {
  const p = sigmoid(z);
  return verdict === "spam" ? p >= LEARNED : p <= 1 - LEARNED;
}

/** One stochastic gradient step of the log loss on a normalized binary vector. */
function step(w: Float32Array, features: Uint32Array, verdict: Verdict, rate: number): void {
  const norm = 1 / Math.sqrt(Math.max(1, features.length));
  let z = 0;
  for (const f of features) z += w[f] ?? 0;
  const g = ((verdict === "spam" ? 1 : 0) - sigmoid(z * norm)) * rate * norm;
  for (const f of features) w[f] = (w[f] ?? 0) + g;
}
