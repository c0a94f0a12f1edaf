/**
 * LMTP delivery throughput of our MDA (servers/mda/main.ts, store with fsync on every commit)
 * against Dovecot's LMTP (Debian dovecot-lmtpd, Maildir, mail_fsync=optimized and =always), side
 * by side in one run, with Postfix's smtp-source as the common client: 20 concurrent sessions,
 * 1 KB and 100 KB messages, each measurement repeated and the median reported. After every run
 * the recipient's INBOX is counted: a run only counts when every message landed.
 *
 *   npx tsx bench/lmtp-throughput.ts [--quick] [--repeats 3] [--sessions 20]
 *       [--systems mda,dovecot,dovecot-always] [--modes connect,reuse] [--recipients 1,20]
 *       [--messages-1k 4000] [--messages-100k 1000] [--dedupe-window <seconds>] [--workers <n>]
 *       [--cpu-prof <dir>] [--json <file>]
 *
 * Modes: `connect` is smtp-source's default (a new connection for every message); `reuse` adds
 * `-d` (each session sends its next message on the same connection, as Postfix's LMTP client
 * does with connection caching). Recipients: `1` sends everything to one mailbox (20 sessions
 * into the same INBOX, the hardest case for per-mailbox locking); `20` runs 20 smtp-source
 * processes at once, one session and one mailbox each (still 20 concurrent sessions in all).
 *
 * Needs: root (Dovecot drops to the system user `mailbench`: `useradd -r -M -s
 * /usr/sbin/nologin mailbench`), `apt-get install dovecot-core dovecot-lmtpd postfix`.
 */
import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  DOMAIN,
  MemorySampler,
  diskWrittenBytes,
  dovecotProblems,
  machine,
  makeTempDir,
  median,
  settleDisk,
  smtpSource,
  smtpSourceCommand,
  startDovecot,
  startOurMda,
  table,
  type LmtpServer,
} from "./lmtp-harness.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    repeats: { type: "string" },
    sessions: { type: "string", default: "20" },
    systems: { type: "string", default: "mda,dovecot,dovecot-always" },
    modes: { type: "string", default: "connect,reuse" },
    recipients: { type: "string", default: "1,20" },
    "messages-1k": { type: "string" },
    "messages-100k": { type: "string" },
    sizes: { type: "string", default: "1024,102400" },
    "dedupe-window": { type: "string" },
    workers: { type: "string" },
    "cpu-prof": { type: "string" },
    json: { type: "string" },
  },
});

const quick = values.quick;
const repeats = Number(values.repeats ?? (quick ? 1 : 3));
const sessions = Number(values.sessions);
const systems = values.systems.split(",").filter(Boolean);
const modes = values.modes.split(",").filter(Boolean) as ("connect" | "reuse")[];
const sizes = values.sizes.split(",").map(Number);
const spreads = values.recipients.split(",").map(Number);
const messagesFor = (size: number): number =>
  size <= 16 * 1024
    ? Number(values["messages-1k"] ?? (quick ? 400 : 4000))
    : Number(values["messages-100k"] ?? (quick ? 100 : 1000));
/** A run that takes longer than this is killed and reported as failed. */
const RUN_TIMEOUT_MS = 180_000;

interface RunRecord {
  system: string;
  mode: string;
  recipients: number;
  size: number;
  messages: number;
  repeat: number;
  seconds: number;
  delivered: number;
  ok: boolean;
  serverCpuSeconds: number;
  /** Bytes written to the machine's disks during the run and its sync (all processes). */
  diskBytes: number;
  peakRssKb: number;
  peakPssKb: number;
  note: string;
}

const dir = await makeTempDir("mailstack-lmtp-bench-");
const servers = new Map<string, LmtpServer>();
const records: RunRecord[] = [];
const exampleCommands: string[] = [];

// Every run gets its own recipients (empty INBOXes to count); the MDA's directory lists them all.
const recipients = new Map<string, string[]>();
let nextRun = 0;
for (const size of sizes)
  for (const mode of modes)
    for (const spread of spreads)
      for (let r = 1; r <= repeats; r++) {
        const run = ++nextRun;
        recipients.set(
          `${size}/${mode}/${spread}/${r}`,
          Array.from({ length: spread }, (_, k) =>
            spread === 1 ? `bench${run}@${DOMAIN}` : `bench${run}-${k + 1}@${DOMAIN}`,
          ),
        );
      }

try {
  console.log(`machine: ${machine()}`);
  console.log(`temp dir: ${dir}`);
  for (const system of systems) {
    const sub = join(dir, system);
    const { mkdir } = await import("node:fs/promises");
    await mkdir(sub, { recursive: true });
    if (system === "mda") {
      servers.set(
        system,
        await startOurMda({
          dir: sub,
          users: [...recipients.values()].flat(),
          ...(values["dedupe-window"] === undefined
            ? {}
            : { dedupeWindowSeconds: Number(values["dedupe-window"]) }),
          ...(values["cpu-prof"] ? { cpuProfDir: values["cpu-prof"] } : {}),
          ...(values.workers === undefined ? {} : { workers: Number(values.workers) }),
        }),
      );
    } else if (system === "dovecot" || system === "dovecot-always") {
      servers.set(
        system,
        await startDovecot({
          dir: sub,
          mailFsync: system === "dovecot" ? "optimized" : "always",
        }),
      );
    } else {
      throw new Error(`unknown system ${system} (mda, dovecot, dovecot-always)`);
    }
  }
  for (const [name, s] of servers) console.log(`${name}: ${s.system} on 127.0.0.1:${s.port}`);
  // The comparison is only fair with Dovecot's settings in view (fsync, mail format, users).
  for (const name of servers.keys()) {
    if (!name.startsWith("dovecot")) continue;
    const conf = await readFile(join(dir, name, "dovecot.conf"), "utf8");
    console.log(`\n${name}: ${join(dir, name, "dovecot.conf")}\n${conf.replace(/^/gm, "  ")}`);
  }
  console.log(
    `runs: sizes ${sizes.join(",")} × modes ${modes.join(",")} × recipients ${spreads.join(",")} × ${repeats} repeats × ${systems.length} systems, ${sessions} sessions\n`,
  );

  // Interleaved (size, mode, spread, repeat, system) so that drift on the machine hits every system.
  for (const size of sizes) {
    for (const mode of modes) {
      for (const spread of spreads) {
        for (let repeat = 1; repeat <= repeats; repeat++) {
          for (const [name, server] of servers) {
            const to = recipients.get(`${size}/${mode}/${spread}/${repeat}`)!;
            const messages = messagesFor(size);
            const run = { messages, size, sessions, to, reuseConnections: mode === "reuse" };
            if (repeat === 1 && name === [...servers.keys()][0]) {
              exampleCommands.push(smtpSourceCommand("<port>", run));
            }
            await settleDisk();
            const disk0 = diskWrittenBytes();
            server.resetPeak();
            const cpu0 = server.cpuSeconds();
            const sampler = new MemorySampler(() => server.pids(), 200).begin();
            const result = await smtpSource(server.port, { ...run, timeoutMs: RUN_TIMEOUT_MS });
            sampler.end();
            const serverCpuSeconds = server.cpuSeconds() - cpu0;
            // Everything the run left dirty reaches the disk before counting (machine-wide).
            spawnSync("sync");
            const diskBytes = diskWrittenBytes() - disk0;
            // Give the server a moment to finish what it acknowledged (it already has: LMTP replies
            // come after the commit), then count.
            let delivered = 0;
            for (const address of to) delivered += await server.count(address);
            const problems: string[] = [];
            if (result.timedOut) problems.push(`timed out after ${RUN_TIMEOUT_MS / 1000} s`);
            if (result.exitCode !== 0) {
              problems.push(`smtp-source exit ${result.exitCode ?? result.signal}`);
            }
            if (result.output) problems.push(`smtp-source said: ${result.output.slice(0, 300)}`);
            if (delivered !== messages) problems.push(`${delivered} of ${messages} delivered`);
            const record: RunRecord = {
              system: name,
              mode,
              recipients: spread,
              size,
              messages,
              repeat,
              seconds: result.seconds,
              delivered,
              ok: problems.length === 0,
              serverCpuSeconds,
              diskBytes,
              peakRssKb: server.peakRss() ?? sampler.maxRss,
              peakPssKb: sampler.maxPss,
              note: problems.join("; "),
            };
            records.push(record);
            console.log(
              `${name.padEnd(15)} ${mode.padEnd(7)} rcpt ${String(spread).padStart(2)} ${String(size).padStart(6)} B × ${messages}` +
                ` #${repeat}: ${result.seconds.toFixed(2)} s, ${(messages / result.seconds).toFixed(0)} msg/s,` +
                ` server CPU ${serverCpuSeconds.toFixed(1)} s, disk ${(diskBytes / messages / 1024).toFixed(0)} KB/msg, peak RSS ${(record.peakRssKb / 1024).toFixed(0)} MB` +
                (record.ok ? "" : `  FAILED: ${record.note}`),
            );
          }
        }
      }
    }
  }
} finally {
  for (const server of servers.values()) await server.stop().catch(() => undefined);
}

// Dovecot's own complaints, if any.
for (const system of systems.filter((s) => s.startsWith("dovecot"))) {
  const problems = dovecotProblems(join(dir, system));
  if (problems.length > 0) {
    console.log(`\n${system} log warnings/errors (${problems.length}):`);
    for (const line of problems.slice(0, 10)) console.log(`  ${line}`);
  }
}

// The medians.
const rows: string[][] = [];
for (const size of sizes) {
  for (const mode of modes) {
    for (const spread of spreads) {
      for (const system of systems) {
        const runs = records.filter(
          (r) =>
            r.system === system && r.mode === mode && r.size === size && r.recipients === spread,
        );
        if (runs.length === 0) continue;
        const good = runs.filter((r) => r.ok);
        const messages = runs[0]!.messages;
        const seconds = median(runs.map((r) => r.seconds));
        const label = servers.get(system)?.system ?? system;
        rows.push([
          label,
          mode === "reuse" ? "reuse (-d)" : "connect",
          String(spread),
          size >= 1024 ? `${size / 1024} KB` : `${size} B`,
          String(messages),
          seconds.toFixed(2),
          (messages / seconds).toFixed(0),
          ((messages * size) / seconds / 1e6).toFixed(2),
          median(runs.map((r) => r.serverCpuSeconds)).toFixed(1),
          (median(runs.map((r) => r.diskBytes)) / messages / 1024).toFixed(0),
          (Math.max(...runs.map((r) => r.peakRssKb)) / 1024).toFixed(0),
          (Math.max(...runs.map((r) => r.peakPssKb)) / 1024).toFixed(0),
          `${good.length}/${runs.length}`,
        ]);
      }
    }
  }
}
console.log(
  `\nMedians of ${repeats} run(s); ${sessions} concurrent LMTP sessions (smtp-source -s ${sessions}); MB/s counts payload bytes (-l); disk KB/msg: bytes written to the machine's disks per message during the run and a sync after it (machine-wide, so other processes add to it).`,
);
console.log(
  "peak RSS: our MDA = summed VmHWM of its processes (primary + LMTP workers); Dovecot = largest sampled sum of VmRSS over master + all children (200 ms samples). peak PSS: sampled sum of Pss for both.\n",
);
console.log(
  table(
    [
      "system",
      "mode",
      "mailboxes",
      "size",
      "messages",
      "seconds",
      "msg/s",
      "MB/s",
      "server CPU s",
      "disk KB/msg",
      "peak RSS MB",
      "peak PSS MB",
      "runs ok",
    ],
    rows,
  ),
);
console.log("\nclient commands (one per mode and size):");
for (const c of exampleCommands) console.log(`  ${c}`);
const failed = records.filter((r) => !r.ok);
if (failed.length > 0) {
  console.log(`\n${failed.length} run(s) failed:`);
  for (const r of failed) {
    console.log(`  ${r.system} ${r.mode} rcpt ${r.recipients} ${r.size} #${r.repeat}: ${r.note}`);
  }
  process.exitCode = 1;
}
if (values.json)
  await writeFile(values.json, JSON.stringify({ machine: machine(), records }, null, 2));
