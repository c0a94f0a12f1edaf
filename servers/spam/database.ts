/**
 * The spam service's embedded database: `<dataDir>/spam/spam.sqlite` on node:sqlite, in WAL
 * mode so that several worker processes read while one writes. It holds the classifiers'
 * models (Bayes token counts and n-gram weights, global and per user), the messages each user
 * taught them, the votes that decide what the global models learn, and the greylist.
 *
 * The schema is versioned with `PRAGMA user_version`; each step below runs once, in order.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

const MIGRATIONS: readonly string[] = [
  `
  -- Token counts per model: "global", or "user:<address>". A message counts once per token.
  CREATE TABLE tokens (
    model TEXT NOT NULL,
    token TEXT NOT NULL,
    spam INTEGER NOT NULL DEFAULT 0,
    ham INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (model, token)
  ) WITHOUT ROWID;
  -- Messages learned per model and class.
  CREATE TABLE totals (
    model TEXT PRIMARY KEY,
    spam INTEGER NOT NULL DEFAULT 0,
    ham INTEGER NOT NULL DEFAULT 0
  );
  -- What a model has learned, by message digest: a second learn of the same message with the
  -- same verdict does nothing, with the other verdict it moves the message (sa-learn --forget).
  -- For the global model the tokens are kept, so a later change of majority can undo exactly.
  CREATE TABLE learned (
    model TEXT NOT NULL,
    digest TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('spam', 'ham')),
    tokens TEXT,
    at INTEGER NOT NULL,
    PRIMARY KEY (model, digest)
  ) WITHOUT ROWID;
  -- One vote per user and message toward the global model.
  CREATE TABLE votes (
    digest TEXT NOT NULL,
    user TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('spam', 'ham')),
    at INTEGER NOT NULL,
    PRIMARY KEY (digest, user)
  ) WITHOUT ROWID;
  CREATE INDEX votes_by_user ON votes (user, at);
  -- Greylisting triplets (RFC 6647): first seen, and when a retry passed.
  CREATE TABLE greylist (
    triplet TEXT PRIMARY KEY,
    first_seen INTEGER NOT NULL,
    passed_at INTEGER,
    last_seen INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  -- The n-gram classifier (ngram/models.ts): the global weight vector (float32, little-endian)
  -- with a version that workers compare to reload it, and each user's sparse correction.
  CREATE TABLE ngram_global (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    weights BLOB NOT NULL
  );
  CREATE TABLE ngram_user (
    user TEXT NOT NULL,
    feature INTEGER NOT NULL,
    weight REAL NOT NULL,
    PRIMARY KEY (user, feature)
  ) WITHOUT ROWID;
  `,
  `
  -- Bumped with a model's totals by every train (bayes/models.ts): workers keep the global
  -- token counts in memory and reload them when it changed (bayes/global-counts.ts).
  ALTER TABLE totals ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
  `,
];

export type Database = DatabaseSync;

/** Opens (creating if needed) the database in `dataDir`; ":memory:" for a throwaway one. */
export function openDatabase(dataDir: string): Database {
  let path = ":memory:";
  if (dataDir !== ":memory:") {
    const dir = join(dataDir, "spam");
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    path = join(dir, "spam.sqlite");
  }
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  // Another worker holding the write lock makes us wait, not fail.
  db.exec("PRAGMA busy_timeout = 5000");
  migrate(db);
  return db;
}

function migrate(db: DatabaseSync): void {
  // The version is read inside the write transaction: worker processes starting together
  // migrate one after the other, and only the first does anything.
  transaction(db, () => {
    const row = db.prepare("PRAGMA user_version").get() as { user_version: number } | undefined;
    const version = row?.user_version ?? 0;
    if (version >= MIGRATIONS.length) return;
    for (const step of MIGRATIONS.slice(version)) db.exec(step);
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
  });
}

/** Runs `work` in one write transaction (BEGIN IMMEDIATE: takes the lock up front). */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
