/**
 * Seeding the global models from an operator's corpus, and what the models know: the library
 * behind `mailstack spam seed` and `mailstack spam status` (cli/spam/).
 *
 * A seed corpus is a folder with `spam/` and `ham/` below it; every regular file under each
 * (at any depth, so Maildir `cur/` and `new/` folders work as they are) is one raw message.
 * Files whose first line is neither a header field nor an mbox "From " line are skipped (the
 * index files some corpora ship beside the messages). The mbox "From " line is cut: no SMTP
 * client sends it.
 *
 * The global models are seeded once: Bayes would count a second seed of the same mail twice,
 * and the n-gram model is trained anew on each seed (ngram/models.ts). So `seedDataDir` refuses
 * a database whose global model already learned something, unless `force` is given.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { GLOBAL_MODEL, userModel, type Verdict } from "./bayes/models.ts";
import { spamConfigSchema } from "./config.ts";
import { openDatabase, type Database } from "./database.ts";
import { createEngine } from "./engine.ts";
import { createLogger } from "../shared/log.ts";

export interface SeedCorpus {
  readonly messages: readonly { readonly raw: Buffer; readonly verdict: Verdict }[];
  /** Files that were not messages (see the module comment), relative to the corpus folder. */
  readonly skipped: readonly string[];
}

/** A header field name and colon, or the mbox separator, at the very start of a file. */
const LOOKS_LIKE_MAIL = /^(?:From |[!-9;-~]+:)/;

/** Reads `<dir>/spam/**` and `<dir>/ham/**`; a missing or empty class is an error. */
export async function readSeedCorpus(dir: string): Promise<SeedCorpus> {
  const messages: { raw: Buffer; verdict: Verdict }[] = [];
  const skipped: string[] = [];
  for (const verdict of ["spam", "ham"] as const) {
    const root = join(dir, verdict);
    const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(
      (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === "ENOENT")
          throw new SeedError(`${root} does not exist: a seed corpus has spam/ and ham/ folders`);
        throw error;
      },
    );
    let found = 0;
    for (const entry of entries.sort((a, b) =>
      join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)),
    )) {
      if (!entry.isFile() || entry.name.startsWith(".")) continue;
      const path = join(entry.parentPath, entry.name);
      const raw = await readFile(path);
      if (!LOOKS_LIKE_MAIL.test(raw.subarray(0, 200).toString("latin1"))) {
        skipped.push(path.slice(dir.length + 1));
        continue;
      }
      messages.push({ raw: stripMboxLine(raw), verdict });
      found++;
    }
    if (found === 0) throw new SeedError(`${root} holds no messages`);
  }
  return { messages, skipped };
}

export class SeedError extends Error {
  override name = "SeedError";
}

/** Cuts a leading mbox "From " separator line. */
export function stripMboxLine(raw: Buffer): Buffer {
  if (raw.subarray(0, 5).toString("latin1") !== "From ") return raw;
  const lf = raw.indexOf(10);
  return lf < 0 ? raw : raw.subarray(lf + 1);
}

/** A config good enough for training: seeding reads no thresholds, DNS or network settings. */
function seedingConfig(dataDir: string) {
  return spamConfigSchema.parse({
    hostname: "seed.invalid",
    listen: { host: "127.0.0.1", port: 0 },
    dataDir,
  });
}

/**
 * Trains the global models of the service whose data directory is `dataDir` (the database is
 * `<dataDir>/spam/spam.sqlite`). Safe while the service runs: one write transaction, and its
 * workers reload the n-gram weights when they see the new version.
 */
export function seedDataDir(
  dataDir: string,
  corpus: SeedCorpus,
  options: { readonly force?: boolean } = {},
): { readonly spam: number; readonly ham: number } {
  const db = openDatabase(dataDir);
  try {
    const engine = createEngine(seedingConfig(dataDir), {
      db,
      resolve: () => Promise.reject(new Error("seeding does no DNS")),
      log: createLogger("spam-seed", { level: "silent" }),
    });
    const before = engine.bayes.totals(GLOBAL_MODEL);
    if (before.spam + before.ham > 0 && !options.force) {
      throw new SeedError(
        `the global model already learned ${before.spam} spam and ${before.ham} ham; ` +
          "seed once with the whole corpus, or pass --force to add to it",
      );
    }
    engine.seed(corpus.messages);
    return {
      spam: corpus.messages.filter((m) => m.verdict === "spam").length,
      ham: corpus.messages.filter((m) => m.verdict === "ham").length,
    };
  } finally {
    db.close();
  }
}

export interface ModelState {
  /** Messages the Bayes model learned, per class. */
  readonly bayes: { readonly spam: number; readonly ham: number };
  /** Messages remembered as learned (by digest), per class. */
  readonly learned: { readonly spam: number; readonly ham: number };
}

export interface SpamState {
  readonly global: ModelState & {
    /** Whether the n-gram model was seeded, and how often its weights changed since. */
    readonly ngramVersion: number | null;
  };
  /** The users' models, by address. */
  readonly users: Readonly<Record<string, ModelState & { readonly votes: number }>>;
}

/** What the models of `dataDir` know; a data directory without a spam database is an error. */
export function readSpamState(dataDir: string): SpamState {
  const path = join(dataDir, "spam", "spam.sqlite");
  if (!existsSync(path)) throw new SeedError(`no spam database at ${path}`);
  const db = openDatabase(dataDir);
  try {
    return spamState(db);
  } finally {
    db.close();
  }
}

export function spamState(db: Database): SpamState {
  const totals = new Map(
    (db.prepare("SELECT model, spam, ham FROM totals").all() as unknown as TotalsRow[]).map((r) => [
      r.model,
      { spam: r.spam, ham: r.ham },
    ]),
  );
  const learned = new Map<string, { spam: number; ham: number }>();
  for (const row of db
    .prepare("SELECT model, verdict, COUNT(*) AS n FROM learned GROUP BY model, verdict")
    .all() as unknown as LearnedRow[]) {
    const entry = learned.get(row.model) ?? { spam: 0, ham: 0 };
    entry[row.verdict] = row.n;
    learned.set(row.model, entry);
  }
  const votes = new Map(
    (
      db
        .prepare("SELECT user, COUNT(*) AS n FROM votes GROUP BY user")
        .all() as unknown as VotesRow[]
    ).map((r) => [r.user, r.n]),
  );
  const none = { spam: 0, ham: 0 };
  const ngram = db.prepare("SELECT version FROM ngram_global WHERE id = 1").get() as
    { version: number } | undefined;
  const users: Record<string, ModelState & { votes: number }> = {};
  const addresses = new Set([
    ...[...totals.keys(), ...learned.keys()]
      .filter((m) => m.startsWith("user:"))
      .map((m) => m.slice(5)),
    ...votes.keys(),
  ]);
  for (const user of [...addresses].sort()) {
    const model = userModel(user);
    users[user] = {
      bayes: totals.get(model) ?? none,
      learned: learned.get(model) ?? none,
      votes: votes.get(user) ?? 0,
    };
  }
  return {
    global: {
      bayes: totals.get(GLOBAL_MODEL) ?? none,
      learned: learned.get(GLOBAL_MODEL) ?? none,
      ngramVersion: ngram?.version ?? null,
    },
    users,
  };
}

interface TotalsRow {
  model: string;
  spam: number;
  ham: number;
}
interface LearnedRow {
  model: string;
  verdict: Verdict;
  n: number;
}
interface VotesRow {
  user: string;
  n: number;
}
