/**
 * Does our MDA's memory stay flat during a long delivery run? Starts servers/mda/main.ts as a
 * child process, delivers `--messages` 1 KB messages into one mailbox with Postfix's smtp-source
 * (20 LMTP sessions) in batches, samples the MDA's VmRSS every second, and reports the first,
 * last and largest sample, the RSS at each tenth of the run, and the RSS trend over the second
 * half. Stops by itself after `--max-seconds` (between batches; a batch in flight is bounded by
 * the time left), and then reports how many messages it delivered.
 *
 *   npx tsx bench/lmtp-memory.ts [--messages 20000] [--batch 5000] [--size 1024]
 *       [--mode reuse|connect] [--sessions 20] [--max-seconds 600] [--workers <n>] [--dovecot]
 *       [--csv <file>]
 *
 * The MDA runs with its default number of LMTP workers (one per CPU) unless `--workers` is
 * given; its RSS is the sum over the primary and the workers.
 *
 * `--dovecot` runs the same load against a throwaway Dovecot LMTP (mail_fsync=optimized)
 * afterwards and reports the summed RSS/PSS of its processes the same way.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  DOMAIN,
  MemorySampler,
  machine,
  makeTempDir,
  procStatus,
  smtpSource,
  smtpSourceCommand,
  startDovecot,
  startOurMda,
  table,
  type LmtpServer,
  type MemorySample,
} from "./lmtp-harness.ts";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    batch: { type: "string", default: "5000" },
    size: { type: "string", default: "1024" },
    mode: { type: "string", default: "reuse" },
    sessions: { type: "string", default: "20" },
    "max-seconds": { type: "string", default: "600" },
    dovecot: { type: "boolean", default: false },
    workers: { type: "string" },
    csv: { type: "string" },
  },
});

const total = Number(values.messages);
const batchSize = Math.min(Number(values.batch), total);
const size = Number(values.size);
const sessions = Number(values.sessions);
const reuse = values.mode === "reuse";
const maxSeconds = Number(values["max-seconds"]);
const recipient = `memory@${DOMAIN}`;

interface Outcome {
  readonly system: string;
  readonly delivered: number;
  readonly sent: number;
  readonly seconds: number;
  readonly samples: MemorySample[];
  readonly batches: { messages: number; seconds: number; endRssKb: number }[];
  readonly peakKb: number | undefined;
  readonly problems: string[];
}

async function load(server: LmtpServer): Promise<Outcome> {
  const sampler = new MemorySampler(() => server.pids(), 1000, !server.peakRss()).begin();
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  const batches: Outcome["batches"] = [];
  const problems: string[] = [];
  let sent = 0;
  while (sent < total) {
    const left = deadline - performance.now();
    if (left <= 5000) {
      problems.push(`time budget of ${maxSeconds} s used up after ${sent} messages`);
      break;
    }
    // After the first batch, size the next one to fit the time left at the rate seen so far,
    // so that no batch is cut off and every count stays exact.
    let messages = Math.min(batchSize, total - sent);
    if (batches.length > 0) {
      const rate = sent / batches.reduce((sum, x) => sum + x.seconds, 0);
      const fits = Math.floor(rate * (left / 1000 - 5) * 0.8);
      if (fits < sessions) {
        problems.push(`time budget of ${maxSeconds} s used up after ${sent} messages`);
        break;
      }
      messages = Math.min(messages, fits);
    }
    const result = await smtpSource(server.port, {
      messages,
      size,
      sessions,
      to: recipient,
      reuseConnections: reuse,
      timeoutMs: left,
    });
    if (result.timedOut) {
      problems.push(`batch ${batches.length + 1} cut off by the time budget`);
      break;
    }
    if (result.exitCode !== 0 || result.output) {
      problems.push(
        `smtp-source exit ${result.exitCode ?? result.signal}: ${result.output.slice(0, 300)}`,
      );
      break;
    }
    sent += messages;
    const endRssKb = server.pids().reduce((s, p) => s + (procStatus(p)?.rss ?? 0), 0);
    batches.push({ messages, seconds: result.seconds, endRssKb });
    console.log(
      `  ${server.system}: ${sent}/${total} sent, batch ${(messages / result.seconds).toFixed(0)} msg/s, RSS now ${(endRssKb / 1024).toFixed(0)} MB`,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const samples = sampler.end();
  const delivered = await server.count(recipient);
  if (delivered !== sent) problems.push(`${delivered} delivered of ${sent} acknowledged-sent`);
  return {
    system: server.system,
    delivered,
    sent,
    seconds,
    samples,
    batches,
    peakKb: server.peakRss(),
    problems,
  };
}

/** Least-squares slope of y over x. */
function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function report(o: Outcome, usePss: boolean): void {
  const mb = (kb: number) => (kb / 1024).toFixed(0);
  const value = (s: MemorySample) => (usePss ? s.pss : s.rss);
  const samples = o.samples;
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const max = samples.reduce((a, b) => (value(b) > value(a) ? b : a));
  const label = usePss ? "PSS (sum over processes)" : "RSS (sum over the MDA's processes)";
  console.log(
    `\n${o.system}: ${o.delivered} messages delivered in ${o.seconds.toFixed(0)} s` +
      ` (${(o.delivered / o.seconds).toFixed(0)} msg/s overall)`,
  );
  console.log(
    `  ${label}: first ${mb(value(first))} MB, last ${mb(value(last))} MB, max ${mb(value(max))} MB at ${max.t.toFixed(0)} s` +
      (o.peakKb ? `; VmHWM ${mb(o.peakKb)} MB` : ""),
  );
  // The trend over the second half, in MB per 10,000 messages (messages ~ time at a steady rate).
  const half = samples.filter((s) => s.t >= o.seconds / 2);
  const rate = o.delivered / o.seconds;
  const perSecond = slope(half.map((s) => ({ x: s.t, y: value(s) / 1024 })));
  console.log(
    `  trend over the second half: ${perSecond >= 0 ? "+" : ""}${((perSecond / rate) * 10_000).toFixed(1)} MB per 10,000 messages`,
  );
  const rows: string[][] = [];
  for (let tenth = 0; tenth <= 10; tenth++) {
    const t = (o.seconds * tenth) / 10;
    const s = samples.reduce((a, b) => (Math.abs(b.t - t) < Math.abs(a.t - t) ? b : a));
    rows.push([`${tenth * 10}%`, s.t.toFixed(0), String(Math.round(s.t * rate)), mb(value(s))]);
  }
  console.log(table(["of run", "s", "≈ messages", `${usePss ? "PSS" : "RSS"} MB`], rows));
  const batchRows = o.batches.map((b, i) => [
    String(i + 1),
    String(o.batches.slice(0, i + 1).reduce((s, x) => s + x.messages, 0)),
    (b.messages / b.seconds).toFixed(0),
    mb(b.endRssKb),
  ]);
  console.log(table(["batch", "messages so far", "msg/s", "RSS at end MB"], batchRows));
  for (const p of o.problems) console.log(`  NOTE: ${p}`);
}

const dir = await makeTempDir("mailstack-lmtp-memory-");
console.log(`machine: ${machine()}`);
console.log(
  `load: ${total} × ${size} B to one mailbox, batches of ${batchSize}, budget ${maxSeconds} s; client per batch:\n  ${smtpSourceCommand("<port>", { messages: batchSize, size, sessions, to: recipient, reuseConnections: reuse })}`,
);
const outcomes: Outcome[] = [];
let failed = false;

await mkdir(join(dir, "mda"));
const mda = await startOurMda({
  dir: join(dir, "mda"),
  users: [recipient],
  ...(values.workers === undefined ? {} : { workers: Number(values.workers) }),
});
const rssOf = (pids: number[]) =>
  pids.map((p) => `${p}: ${((procStatus(p)?.rss ?? 0) / 1024).toFixed(0)} MB`).join(", ");
try {
  console.log(`MDA started (primary first): idle RSS ${rssOf(mda.pids())}`);
  const outcome = await load(mda);
  outcomes.push(outcome);
  report(outcome, false);
  console.log(`  per process at the end (primary first): ${rssOf(mda.pids())}`);
  failed ||= outcome.problems.some((p) => !p.startsWith("time budget"));
} finally {
  await mda.stop();
}

if (values.dovecot) {
  await mkdir(join(dir, "dovecot"));
  const dovecot = await startDovecot({ dir: join(dir, "dovecot"), mailFsync: "optimized" });
  try {
    const outcome = await load(dovecot);
    outcomes.push(outcome);
    report(outcome, true);
    failed ||= outcome.problems.some((p) => !p.startsWith("time budget"));
  } finally {
    await dovecot.stop();
  }
}

if (values.csv) {
  const lines = ["system,t_seconds,rss_kb,pss_kb"];
  for (const o of outcomes)
    for (const s of o.samples) lines.push(`${o.system},${s.t.toFixed(1)},${s.rss},${s.pss}`);
  await writeFile(values.csv, lines.join("\n") + "\n");
}
if (failed) process.exitCode = 1;
