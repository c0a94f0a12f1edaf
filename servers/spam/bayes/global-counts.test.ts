/**
 * The global token counts kept in memory (global-counts.ts): equal to the rows in SQLite after
 * seeding, learning and forgetting, reloaded when another connection or process taught the
 * global model, untouched when only a user's model learned; and the classifier's opinions with
 * them equal to those from counts read out of SQLite.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openDatabase, transaction, type Database } from "../database.ts";
import { parseMail } from "../message/parse.ts";
import { gardeningMessage, hamMessage, spamMessage } from "../testing/corpus.ts";
import { classify, DEFAULT_CHI2, type TokenCounts } from "./chi2.ts";
import { CachedCounts } from "./global-counts.ts";
import { BayesModels, GLOBAL_MODEL, userModel, type Verdict } from "./models.ts";
import { tokenize } from "./tokenizer.ts";

const OPTIONS = { minSpam: 1, minHam: 1, userWeight: 5 };
const tokens = (raw: string): string[] => tokenize(parseMail(Buffer.from(raw)), {});

function seed(models: BayesModels): void {
  transaction(models.db, () => {
    for (let i = 0; i < 20; i++) {
      models.train(GLOBAL_MODEL, tokens(hamMessage(i)), "ham", 1);
      models.train(GLOBAL_MODEL, tokens(spamMessage(i)), "spam", 1);
    }
  });
}

/** Every row of a model, straight from SQLite. */
function sqlCounts(db: Database, model: string): Map<string, TokenCounts> {
  const rows = db
    .prepare("SELECT token, spam, ham FROM tokens WHERE model = ?")
    .all(model) as unknown as { token: string; spam: number; ham: number }[];
  return new Map(rows.map((r) => [r.token, { spam: r.spam, ham: r.ham }]));
}

function assertSameAsSql(db: Database, cache: CachedCounts): void {
  const snapshot = cache.current();
  const rows = sqlCounts(db, GLOBAL_MODEL);
  assert.equal(snapshot.size, rows.size);
  for (const [token, counts] of rows) assert.deepEqual(snapshot.get(token), counts, token);
  assert.equal(snapshot.get("never-seen-token"), undefined);
  const totals = db.prepare("SELECT spam, ham FROM totals WHERE model = ?").get(GLOBAL_MODEL);
  assert.deepEqual(snapshot.totals, { ...totals });
}

/** The opinion as computed before the cache: both models' counts read out of SQLite. */
function sqlOpinion(db: Database, message: string[], user: string): number {
  const global = sqlCounts(db, GLOBAL_MODEL);
  const mine = sqlCounts(db, userModel(user));
  const total = (model: string): { spam: number; ham: number } => {
    const row = db.prepare("SELECT spam, ham FROM totals WHERE model = ?").get(model) as
      { spam: number; ham: number } | undefined;
    return { spam: row?.spam ?? 0, ham: row?.ham ?? 0 };
  };
  const g = total(GLOBAL_MODEL);
  const u = total(userModel(user));
  const w = OPTIONS.userWeight;
  const merged = new Map(global);
  for (const [token, c] of mine) {
    const d = global.get(token) ?? { spam: 0, ham: 0 };
    merged.set(token, { spam: d.spam + w * c.spam, ham: d.ham + w * c.ham });
  }
  const totals = { spam: g.spam + w * u.spam, ham: g.ham + w * u.ham };
  return classify(message, (t) => merged.get(t), totals, DEFAULT_CHI2).score;
}

describe("global token counts in memory", () => {
  it("equal the SQLite rows after seeding, learning and forgetting", () => {
    const db = openDatabase(":memory:");
    const models = new BayesModels(db, OPTIONS);
    const cache = new CachedCounts(db, GLOBAL_MODEL);
    assert.equal(cache.current().size, 0);
    assert.equal(cache.current().version, -1);
    seed(models);
    assertSameAsSql(db, cache);
    const lesson = tokens(gardeningMessage(3));
    models.train(GLOBAL_MODEL, lesson, "spam", 1);
    assertSameAsSql(db, cache);
    models.train(GLOBAL_MODEL, lesson, "spam", -1);
    assertSameAsSql(db, cache);
    db.close();
  });

  it("a learn on another connection to the same file is seen at the next lookup", () => {
    const dir = mkdtempSync(join(tmpdir(), "mailstack-bayes-"));
    const a = new BayesModels(openDatabase(dir), OPTIONS);
    const b = new BayesModels(openDatabase(dir), OPTIONS);
    const bCache = new CachedCounts(b.db, GLOBAL_MODEL);
    try {
      seed(a);
      const target = tokens(gardeningMessage(7));
      const before = b.classify(target)?.probability ?? 1;
      assertSameAsSql(b.db, bCache);
      transaction(a.db, () => {
        for (let i = 0; i < 5; i++) a.train(GLOBAL_MODEL, tokens(gardeningMessage(i)), "spam", 1);
      });
      const after = b.classify(target)?.probability ?? 0;
      assert.ok(after > before, `${before} -> ${after}`);
      assert.equal(after, new BayesModels(a.db, OPTIONS).classify(target)?.probability);
      assertSameAsSql(b.db, bCache);
    } finally {
      a.db.close();
      b.db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a user's lesson does not reload the global counts", () => {
    const db = openDatabase(":memory:");
    const models = new BayesModels(db, OPTIONS);
    const cache = new CachedCounts(db, GLOBAL_MODEL);
    seed(models);
    const first = cache.current();
    models.train(userModel("a@example.com"), tokens(gardeningMessage(1)), "spam", 1);
    assert.equal(cache.current(), first);
    db.close();
  });

  it("opinions, global and with a user's model, equal those from SQLite's counts", () => {
    const db = openDatabase(":memory:");
    const models = new BayesModels(db, OPTIONS);
    seed(models);
    const user = "a@example.com";
    const lessons: [string, Verdict][] = [
      [gardeningMessage(1), "spam"],
      [gardeningMessage(2), "spam"],
      [hamMessage(50), "spam"],
      [spamMessage(50), "ham"],
    ];
    for (const [raw, verdict] of lessons) models.train(userModel(user), tokens(raw), verdict, 1);
    const messages = [
      ...Array.from({ length: 5 }, (_, i) => gardeningMessage(10 + i)),
      ...Array.from({ length: 5 }, (_, i) => hamMessage(100 + i)),
      ...Array.from({ length: 5 }, (_, i) => spamMessage(100 + i)),
    ].map(tokens);
    for (const m of messages) {
      const personal = models.classify(m, user);
      assert.equal(personal?.personal, true);
      assert.equal(personal.probability, sqlOpinion(db, m, user));
      assert.equal(models.classify(m)?.probability, sqlOpinion(db, m, "nobody@example.com"));
    }
    db.close();
  });
});
