/**
 * Append throughput of the mail store with fsync on (synchronous=FULL): N concurrent appenders,
 * each appending its next message as soon as the previous one is durable, as the MDA's LMTP
 * sessions do. Reports messages/s, MB/s, the longest event-loop stall and memory.
 *
 *   npx tsx bench/store-append.ts [--messages 5000] [--concurrency 20] [--sizes 1024,102400]
 *                                 [--users 1] [--kind text|attachment]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { SqliteMailStore } from "../servers/store/sqlite/sqlite-store.ts";
import type { Account } from "../servers/store/types.ts";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "20" },
    sizes: { type: "string", default: "1024,102400" },
    users: { type: "string", default: "1" },
    kind: { type: "string", default: "attachment" },
    dir: { type: "string" },
  },
});

/** A message of about `size` bytes: a text part plus, for "attachment", a base64 part. */
function makeMessage(size: number, i: number, kind: string): Uint8Array {
  const head = [
    "From: Bench Sender <sender@example.org>",
    "To: Bench Recipient <rcpt@example.com>",
    `Subject: benchmark message ${i}`,
    "Date: Mon, 7 Feb 2022 21:52:25 -0800",
    `Message-ID: <bench-${i}-${Math.random().toString(36).slice(2)}@example.org>`,
    "MIME-Version: 1.0",
  ];
  const words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod ";
  const fill = (n: number): string => words.repeat(Math.ceil(n / words.length)).slice(0, n);
  let body: string[];
  if (kind === "text" || size < 4096) {
    body = ["Content-Type: text/plain; charset=us-ascii", "", ...fill(size).match(/.{1,76}/g)!];
  } else {
    const base64 = Buffer.alloc(Math.floor(((size - 1200) * 3) / 4), i % 251).toString("base64");
    body = [
      'Content-Type: multipart/mixed; boundary="b"',
      "",
      "--b",
      "Content-Type: text/plain; charset=us-ascii",
      "",
      fill(600),
      "--b",
      "Content-Type: application/pdf; name=report.pdf",
      "Content-Transfer-Encoding: base64",
      "",
      ...base64.match(/.{1,76}/g)!,
      "--b--",
    ];
  }
  return Buffer.from([...head, ...body].join("\r\n") + "\r\n");
}

async function run(size: number): Promise<void> {
  const total = Number(values.messages);
  const concurrency = Number(values.concurrency);
  const userCount = Number(values.users);
  const dataDir = await mkdtemp(join(values.dir ?? tmpdir(), "mailstack-bench-"));
  const store = new SqliteMailStore({ dataDir });
  const accounts: Account[] = [];
  for (let u = 0; u < userCount; u++)
    accounts.push(await store.openAccount(`user${u}@example.com`));
  const messages = Array.from({ length: 64 }, (_, i) => makeMessage(size, i, values.kind));
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let next = 0;
  let bytes = 0;
  const latencies: number[] = [];
  /** RSS at every tenth of the run: flat once the caches are warm. */
  const rss: number[] = [];
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  delay.enable();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const raw = messages[i % messages.length]!;
        const t0 = performance.now();
        await accounts[(worker + i) % userCount]!.append("INBOX", raw);
        latencies.push(performance.now() - t0);
        bytes += raw.byteLength;
        if (i % Math.max(1, Math.floor(total / 10)) === 0) rss.push(process.memoryUsage().rss);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  delay.disable();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): string =>
    (latencies[Math.floor(p * (latencies.length - 1))] ?? 0).toFixed(1);
  console.log(
    [
      `size=${size} (${values.kind}) messages=${total} concurrency=${concurrency} users=${userCount}:`,
      `${Math.round(total / seconds)} msg/s`,
      `${(bytes / seconds / 1e6).toFixed(1)} MB/s`,
      `latency p50 ${pct(0.5)} ms p99 ${pct(0.99)} ms`,
      `event-loop max stall ${(delay.max / 1e6).toFixed(1)} ms (mean ${(delay.mean / 1e6).toFixed(2)})`,
      `rss +${Math.round((process.memoryUsage().rss - rssBefore) / 1e6)} MB`,
      `(per tenth: ${rss.map((r) => Math.round(r / 1e6)).join(" ")} MB)`,
    ].join("  "),
  );
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
}

for (const size of values.sizes.split(",").map(Number)) await run(size);
