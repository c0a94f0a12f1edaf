/**
 * Throughput: messages scored per second by our service and by rspamd, each with 2 worker
 * processes on this 2-core machine, each with Bayes trained on the corpus's train rows, DNS
 * answered by a local BIND, over HTTP on loopback, the same messages and the same load.
 *
 *   npx tsx bench/spam-throughput.ts                      # both, ~5 min
 *   npx tsx bench/spam-throughput.ts --only=ours --concurrency=16 --rounds=2
 *
 * The messages are the corpus's test rows; every second one is DKIM-signed (RSA-2048) by
 * bench.example, whose SPF, DKIM key and DMARC policy the local BIND serves, and sent with a
 * MAIL FROM of that domain from an address SPF allows: sender authentication does real work.
 * Every other name (blocklists, rDNS, the 2002 senders' domains) is answered NXDOMAIN by an
 * empty root zone on the same server. Ours is the real process (main.ts, workers: 2) asked with
 * the MTA's request form (message/rfc822 + Mailstack-Facts); rspamd gets /checkv2 with the same
 * envelope in its headers. After a warm-up, the clock runs over `rounds` passes of all messages
 * with `concurrency` requests in flight.
 */
import { fork } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { dkimSign } from "mailauth/lib/dkim/sign.js";
import { startNamed } from "../test/helpers/bind.ts";
import type { ReadyMessage } from "../servers/shared/lifecycle.ts";
import { loadCorpus } from "./spam-corpus.ts";
import {
  BENCH_CLIENT,
  BENCH_HELO,
  BENCH_RECIPIENT,
  envelopeSender,
  openOurFilter,
} from "./spam-harness.ts";
import { freePort, mapLimit, rspamdAvailable, startRspamd } from "./spam-reference.ts";

const arg = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const only = arg("only", "ours,rspamd").split(",");
const CONCURRENCY = Number(arg("concurrency", "16"));
const ROUNDS = Number(arg("rounds", "2"));
const WARMUP = 200;
const WORKERS = 2;

interface BenchMessage {
  readonly raw: Buffer;
  readonly mailFrom: string;
}

// --- the messages and the zone ---------------------------------------------------------------
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const keyRecord = `v=DKIM1; k=rsa; p=${publicKey.export({ type: "spki", format: "der" }).toString("base64")}`;
const corpus = loadCorpus();
const messages: BenchMessage[] = [];
for (const [i, m] of corpus.filter((c) => c.split === "test").entries()) {
  if (i % 2 === 1) {
    messages.push({ raw: m.raw, mailFrom: envelopeSender(m.raw) });
    continue;
  }
  const entry = { signingDomain: "bench.example", selector: "s1", privateKey: keyPem };
  const signed = await dkimSign(m.raw, { ...entry, signatureData: [entry] });
  messages.push({
    raw: Buffer.concat([Buffer.from(signed.signatures), m.raw]),
    mailFrom: "bounce@bench.example",
  });
}
// TXT strings are at most 255 bytes each (RFC 1035 §3.3.14): split the key record.
const txt = (value: string): string =>
  (value.match(/.{1,250}/g) ?? []).map((s) => `"${s}"`).join(" ");
const ZONES = [
  {
    zone: ".",
    text: `$TTL 300\n. IN SOA ns. hostmaster.ns. 1 3600 600 86400 60\n. IN NS ns.\nns. IN A 127.0.0.1\n`,
  },
  {
    zone: "bench.example",
    text: [
      "$TTL 300",
      "@ IN SOA ns.bench.example. hostmaster.bench.example. 1 3600 600 86400 60",
      "@ IN NS ns.bench.example.",
      "ns IN A 127.0.0.1",
      "@ IN MX 10 mx.bench.example.",
      "mx IN A 192.0.2.1",
      `@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"`,
      `_dmarc IN TXT "v=DMARC1; p=none"`,
      `s1._domainkey IN TXT ${txt(keyRecord)}`,
      "",
    ].join("\n"),
  },
];

// --- the load ------------------------------------------------------------------------------------
interface Run {
  readonly name: string;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly actions: Record<string, number>;
}

async function load(name: string, check: (m: BenchMessage) => Promise<string>): Promise<Run> {
  await mapLimit(messages.slice(0, WARMUP), CONCURRENCY, check);
  const work = Array.from({ length: ROUNDS }, () => messages).flat();
  const latencies: number[] = [];
  const actions: Record<string, number> = {};
  const started = performance.now();
  await mapLimit(work, CONCURRENCY, async (m) => {
    const t = performance.now();
    const action = await check(m);
    latencies.push(performance.now() - t);
    actions[action] = (actions[action] ?? 0) + 1;
  });
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const run = { name, perSecond: work.length / seconds, p50: at(0.5), p99: at(0.99), actions };
  console.log(
    `${name.padEnd(30)} ${run.perSecond.toFixed(1).padStart(7)} msg/s  p50 ${run.p50.toFixed(1)} ms  p99 ${run.p99.toFixed(1)} ms  ` +
      `(${work.length} messages, ${CONCURRENCY} in flight, ${seconds.toFixed(1)} s) ${JSON.stringify(actions)}`,
  );
  return run;
}

const named = await startNamed(ZONES);
const dns = `127.0.0.1:${named.port}`;
const runs: Run[] = [];
console.log(
  `${messages.length} messages (${messages.length / 2} DKIM-signed), DNS at ${dns}, ${WORKERS} workers each`,
);
try {
  if (only.includes("ours")) runs.push(await benchOurs());
  if (only.includes("rspamd")) {
    if (!rspamdAvailable())
      console.log("rspamd: not installed (apt-get install -y rspamd), skipped");
    else runs.push(await benchRspamd());
  }
} finally {
  await named.cleanup();
}
const [a, b] = runs;
if (a && b) console.log(`\n${a.name} / ${b.name}: ${(a.perSecond / b.perSecond).toFixed(2)}x`);

async function benchOurs(): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), "mailstack-spam-throughput-"));
  try {
    // The global model from the train rows, in the data directory the service will open.
    const seeded = openOurFilter({ dataDir: join(dir, "data") }, false);
    seeded.train(
      corpus.filter((c) => c.split === "train").map((c) => ({ raw: c.raw, label: c.label })),
    );
    seeded.close();
    const port = await freePort();
    const configPath = join(dir, "spam.json");
    await writeFile(
      configPath,
      JSON.stringify({
        hostname: "mx.example.com",
        listen: { host: "127.0.0.1", port },
        dataDir: join(dir, "data"),
        domains: ["example.com"],
        workers: WORKERS,
        dns: { servers: [dns], timeoutMs: 2000, tries: 1 },
        bayes: { minSpam: 1, minHam: 1 },
      }),
    );
    const child = fork(resolve(import.meta.dirname, "../servers/spam/main.ts"), [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, MAILSTACK_CONFIG: configPath, LOG_LEVEL: "warn" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const [ready] = (await once(child, "message")) as [ReadyMessage];
    const url = `http://127.0.0.1:${ready.endpoints[0]?.port ?? port}/check`;
    try {
      return await load("mailstack spam (2 workers)", async (m) => {
        const facts = {
          envelope: { from: m.mailFrom, to: [BENCH_RECIPIENT] },
          client: { address: BENCH_CLIENT, helo: BENCH_HELO, tls: null },
        };
        const response = await fetch(url, {
          method: "POST",
          body: m.raw,
          headers: {
            "content-type": "message/rfc822",
            "mailstack-facts": Buffer.from(JSON.stringify(facts)).toString("base64url"),
          },
        });
        return ((await response.json()) as { action: string }).action;
      });
    } finally {
      const exited = once(child, "exit");
      if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
      await exited;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchRspamd(): Promise<Run> {
  const rspamd = await startRspamd({ dns, workers: WORKERS });
  try {
    await mapLimit(
      corpus.filter((c) => c.split === "train"),
      4,
      (c) => rspamd.learn(c.raw, c.label),
    );
    return await load("rspamd 3.4 (2 workers)", async (m) => {
      const verdict = await rspamd.check(m.raw, {
        mailFrom: m.mailFrom,
        ip: BENCH_CLIENT,
        helo: BENCH_HELO,
      });
      return verdict.flagged ? "flagged" : "not flagged";
    });
  } finally {
    await rspamd.stop();
  }
}
