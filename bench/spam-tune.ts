/**
 * Tuning on the TRAIN rows only: 4-fold cross-validation of the whole filter (each train message
 * is scored by a model trained on the other three quarters), then, from the symbols each message
 * got, how often each symbol fires on ham and on spam, and precision/recall/F1 and ham flagged
 * for a range of junk thresholds with the current score table. The test rows are never read.
 *
 *   npx tsx bench/spam-tune.ts            # about two minutes on 2 cores
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { figures, formatFigures, loadCorpus, type CorpusMessage } from "./spam-corpus.ts";
import { openOurFilter } from "./spam-harness.ts";
import { SYMBOLS, type SymbolName } from "../servers/spam/scores.ts";

const FOLDS = Number(process.env.FOLDS ?? 4);
const fold = (id: string): number =>
  createHash("md5").update(`fold:${id}`).digest().readUInt16BE(0) % FOLDS;

interface Scored {
  readonly message: CorpusMessage;
  readonly symbols: readonly SymbolName[];
}

const train = loadCorpus().filter((m) => m.split === "train");
const scored: Scored[] = [];
const started = performance.now();
// TUNE_CACHE=<file>: keep the symbols of a run there, and read them back on the next run
// (to try other scores without scoring the corpus again).
const cacheFile = process.env.TUNE_CACHE;
const fromCache = cacheFile !== undefined && existsSync(cacheFile);
if (fromCache) {
  const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as Record<string, SymbolName[]>;
  for (const message of train) scored.push({ message, symbols: cached[message.id] ?? [] });
}
for (let k = 0; k < FOLDS && !fromCache; k++) {
  const filter = openOurFilter();
  filter.train(train.filter((m) => fold(m.id) !== k).map((m) => ({ raw: m.raw, label: m.label })));
  for (const message of train.filter((m) => fold(m.id) === k)) {
    const result = await filter.check(message.raw);
    scored.push({ message, symbols: result.symbols.map((s) => s.name) });
  }
  filter.close();
  console.log(
    `fold ${k + 1}/${FOLDS} done, ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}

if (cacheFile !== undefined && !fromCache) {
  writeFileSync(
    cacheFile,
    JSON.stringify(Object.fromEntries(scored.map((s) => [s.message.id, s.symbols]))),
  );
}

const hams = scored.filter((s) => s.message.label === "ham").length;
const spams = scored.length - hams;
console.log(`\nsymbol hits on held-out train mail (${hams} ham, ${spams} spam):`);
const names = [...new Set(scored.flatMap((s) => s.symbols))].sort();
for (const name of names) {
  const onHam = scored.filter((s) => s.message.label === "ham" && s.symbols.includes(name)).length;
  const onSpam = scored.filter(
    (s) => s.message.label === "spam" && s.symbols.includes(name),
  ).length;
  console.log(
    `  ${name.padEnd(26)} ${String(SYMBOLS[name].score).padStart(5)}  ham ${String(onHam).padStart(4)} ` +
      `(${((onHam / hams) * 100).toFixed(1)}%)  spam ${String(onSpam).padStart(4)} (${((onSpam / spams) * 100).toFixed(1)}%)`,
  );
}

const total = (s: Scored): number => s.symbols.reduce((sum, n) => sum + SYMBOLS[n].score, 0);
console.log("\njunk threshold sweep (current score table):");
for (const threshold of [3, 4, 5, 5.5, 6, 6.5, 7, 8]) {
  const results = scored.map((s) => ({ label: s.message.label, flagged: total(s) >= threshold }));
  console.log(formatFigures(`junk >= ${threshold}`, figures(results)));
}
if (process.env.SHOW_ERRORS) {
  for (const s of scored) {
    const flagged = total(s) >= 6;
    if (flagged !== (s.message.label === "spam"))
      console.log(s.message.label, total(s).toFixed(1), s.message.id, s.symbols.join(" "));
  }
}
