/**
 * Accuracy on the SpamAssassin public corpus, with the fixed split of ../shared/spam-split.txt:
 * each filter learns the `train` rows (2905 ham, 1327 spam) and scores the `test` rows (1245
 * ham, 569 spam). Printed per filter: precision, recall and F1 of "flagged" (junk or reject for
 * ours, see spam-reference.ts for the others) against the spam label, and the share of ham
 * flagged. The test rows are read only here, after training, and nothing is tuned on them.
 *
 *   npx tsx bench/spam-accuracy.ts                 # ours, SpamAssassin, rspamd (~15 min)
 *   npx tsx bench/spam-accuracy.ts --only=ours     # or sa, rspamd
 *
 * Offline, as the corpus is from 2002: our DNS fails like a dead network (spam-harness.ts);
 * SpamAssassin runs with -L; rspamd asks a local BIND that serves an empty root zone, so every
 * name it looks up (blocklists, SPF, rDNS) does not exist. Each filter gets the message with the
 * collector's mbox "From " line cut; ours and rspamd get its Return-Path as MAIL FROM.
 */
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNamed } from "../test/helpers/bind.ts";
import {
  figures,
  formatFigures,
  loadCorpus,
  type CorpusMessage,
  type Label,
} from "./spam-corpus.ts";
import { envelopeSender, openOurFilter } from "./spam-harness.ts";
import {
  mapLimit,
  rspamdAvailable,
  spamAssassinAvailable,
  startRspamd,
  startSpamAssassin,
  type ReferenceFilter,
} from "./spam-reference.ts";

const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
const wanted = (name: string): boolean => only === undefined || only.split(",").includes(name);

/** An empty root zone: every name is NXDOMAIN, answered at once. */
export const EMPTY_ROOT_ZONE = `$TTL 300
. IN SOA ns. hostmaster.ns. 1 3600 600 86400 60
. IN NS ns.
ns. IN A 127.0.0.1
`;

const corpus = loadCorpus();
const train = corpus.filter((m) => m.split === "train");
const test = corpus.filter((m) => m.split === "test");
const count = (rows: readonly CorpusMessage[], label: Label) =>
  rows.filter((m) => m.label === label).length;
console.log(
  `corpus: train ${count(train, "ham")} ham + ${count(train, "spam")} spam, ` +
    `test ${count(test, "ham")} ham + ${count(test, "spam")} spam (split ${process.env.SPAM_SPLIT ?? "../shared/spam-split.txt"})`,
);
const lines: string[] = [];
const report = (line: string): void => {
  lines.push(line);
  console.log(line);
};

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(`  ${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

if (wanted("ours")) {
  console.log("\nmailstack spam:");
  const ours = openOurFilter();
  try {
    await timed("train", () =>
      Promise.resolve(ours.train(train.map((m) => ({ raw: m.raw, label: m.label })))),
    );
    const results = await timed("score", async () => {
      const out: { label: Label; flagged: boolean }[] = [];
      for (const m of test) {
        const verdict = await ours.check(m.raw);
        out.push({
          label: m.label,
          flagged: verdict.action === "junk" || verdict.action === "reject",
        });
      }
      return out;
    });
    report(formatFigures("mailstack spam", figures(results)));
  } finally {
    ours.close();
  }
}

async function runReference(filter: ReferenceFilter, envelope: boolean): Promise<void> {
  try {
    const results = await timed("score", () =>
      mapLimit(test, 4, async (m) => {
        const verdict = await filter.check(
          m.raw,
          envelope ? { mailFrom: envelopeSender(m.raw) } : {},
        );
        return { label: m.label, flagged: verdict.flagged };
      }),
    );
    report(formatFigures(filter.name, figures(results)));
  } finally {
    await filter.stop();
  }
}

if (wanted("sa")) {
  console.log("\nSpamAssassin:");
  if (!spamAssassinAvailable())
    report("SpamAssassin: not installed (apt-get install -y spamassassin), skipped");
  else {
    const dir = await mkdtemp(join(tmpdir(), "mailstack-sa-train-"));
    try {
      for (const label of ["spam", "ham"] as const) {
        await mkdir(join(dir, label));
        for (const [i, m] of train.filter((t) => t.label === label).entries())
          await writeFile(join(dir, label, `${i}.eml`), m.raw);
      }
      const sa = await timed("sa-learn and spamd start", () =>
        startSpamAssassin({ spamDir: join(dir, "spam"), hamDir: join(dir, "ham") }),
      );
      await runReference(sa, false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

if (wanted("rspamd")) {
  console.log("\nrspamd:");
  if (!rspamdAvailable()) report("rspamd: not installed (apt-get install -y rspamd), skipped");
  else {
    const named = await startNamed([{ zone: ".", text: EMPTY_ROOT_ZONE }]);
    try {
      const rspamd = await timed("start", () =>
        startRspamd({ dns: `127.0.0.1:${named.port}`, workers: 2 }),
      );
      const outcomes = await timed("learn", () =>
        mapLimit(train, 1, (m) => rspamd.learn(m.raw, m.label)),
      );
      const tally: Record<string, number> = {};
      for (const o of outcomes) {
        const key = o.replace(/<[^>]*>/g, "<id>").slice(0, 60);
        tally[key] = (tally[key] ?? 0) + 1;
      }
      console.log(
        `  learn outcomes: ${JSON.stringify(tally)}; rspamd /stat learned: ${await rspamd.learned()}`,
      );
      await runReference(rspamd, true);
    } finally {
      await named.cleanup();
    }
  }
}

console.log(
  `\nsummary (flagged = junk/add header or reject; target: F1 > 0.971 with <= 0.5% ham flagged)`,
);
for (const line of lines) console.log(line);
