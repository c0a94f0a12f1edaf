/**
 * The global model's token counts in memory, one copy per worker process. Looking up a
 * message's few hundred tokens in SQLite was the largest cost of a check (an `IN (json_each)`
 * query per message); the global counts change only when the seed or the users' quorum teaches
 * the global model, so each worker keeps them all and reloads them when their version changed.
 *
 * The version is the `totals` row's `version` column (database.ts), bumped by every
 * `BayesModels.train` of the model in the same statement as its totals: a learn in another
 * process, or on another connection, is seen at the next lookup. The reload reads the totals,
 * the version and the tokens in one read transaction, so they are one snapshot.
 * A user's counts stay in SQLite: they are small, and most checks have none.
 *
 * Each token is one entry of a `Map` to its index in two typed arrays (not an object per token):
 * after seeding with the benchmarks' 4232 messages that is 448k tokens, about 30 MB of heap per worker
 * and a reload of about 1 s on a loaded 2-core machine, paid once per change of the global model.
 */
import type { StatementSync } from "node:sqlite";
import type { Database } from "../database.ts";
import type { ModelTotals, TokenCounts } from "./chi2.ts";

export interface CountsSnapshot {
  /** The totals row's version; -1 while the model has learned nothing. */
  readonly version: number;
  readonly totals: ModelTotals;
  /** The counts of one token; undefined when the model never saw it. */
  get(token: string): TokenCounts | undefined;
  readonly size: number;
}

class Snapshot implements CountsSnapshot {
  constructor(
    readonly version: number,
    readonly totals: ModelTotals,
    readonly index: ReadonlyMap<string, number>,
    readonly spam: Float64Array,
    readonly ham: Float64Array,
  ) {}

  get(token: string): TokenCounts | undefined {
    const i = this.index.get(token);
    return i === undefined ? undefined : { spam: this.spam[i] ?? 0, ham: this.ham[i] ?? 0 };
  }

  get size(): number {
    return this.index.size;
  }
}

interface TotalsRow {
  spam: number;
  ham: number;
  version: number;
}

/** A row of the tokens query, read as an array: token, spam, ham. */
type CountRow = [string, number, number];

const EMPTY = new Snapshot(
  -1,
  { spam: 0, ham: 0 },
  new Map(),
  new Float64Array(0),
  new Float64Array(0),
);

export class CachedCounts {
  readonly #db: Database;
  readonly #model: string;
  readonly #readTotals: StatementSync;
  readonly #readTokens: StatementSync;
  #snapshot: CountsSnapshot = EMPTY;

  constructor(db: Database, model: string) {
    this.#db = db;
    this.#model = model;
    this.#readTotals = db.prepare("SELECT spam, ham, version FROM totals WHERE model = ?");
    this.#readTokens = db.prepare("SELECT token, spam, ham FROM tokens WHERE model = ?");
    // Arrays, not an object per row: a reload reads hundreds of thousands of rows.
    this.#readTokens.setReturnArrays(true);
  }

  /** The counts as the database has them now: one indexed read, a full reload when changed. */
  current(): CountsSnapshot {
    const row = this.#readTotals.get(this.#model) as TotalsRow | undefined;
    if ((row?.version ?? -1) !== this.#snapshot.version) this.#snapshot = this.#reload();
    return this.#snapshot;
  }

  #reload(): CountsSnapshot {
    const read = (): CountsSnapshot => {
      const row = this.#readTotals.get(this.#model) as TotalsRow | undefined;
      if (!row) return EMPTY;
      const rows = this.#readTokens.all(this.#model) as unknown as CountRow[];
      const index = new Map<string, number>();
      const spam = new Float64Array(rows.length);
      const ham = new Float64Array(rows.length);
      rows.forEach(([token, s, h], i) => {
        index.set(token, i);
        spam[i] = s;
        ham[i] = h;
      });
      const totals = { spam: row.spam, ham: row.ham };
      return new Snapshot(row.version, totals, index, spam, ham);
    };
    // Inside the caller's transaction its snapshot is already the one to read.
    if (this.#db.isTransaction) return read();
    this.#db.exec("BEGIN");
    try {
      return read();
    } finally {
      this.#db.exec("COMMIT");
    }
  }
}
