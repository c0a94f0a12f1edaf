/**
 * imaptest's benchmark mode against our IMAP server and against Dovecot (issue 6): the same
 * mbox, client count, users and duration, imaptest's default command mix; operations per second
 * per command, side by side.
 *
 * imaptest is a measuring instrument kept outside the repository. Build it from Dovecot's public
 * imaptest source against Debian's dovecot-dev (autogen, then configure with
 * --with-dovecot=/usr/lib/dovecot, then make) and pass the binary with --imaptest or the
 * IMAPTEST environment variable; it runs with LD_LIBRARY_PATH=/usr/lib/dovecot. The default
 * mbox is `tests/default.mbox` beside the binary (the source tree's src/tests).
 *
 *   flock /tmp/mailstack-bench.lock npx tsx bench/imap-throughput.ts --imaptest PATH
 *     [--mbox FILE] [--clients 20] [--secs 60] [--users 20] [--repeats 1] [--seed 123]
 *     [--extra "logout=0"] [--workers N]
 *
 * Ours runs as servers/imap/main.ts does: a cluster primary with `--workers` IMAP worker
 * processes (default: one per CPU); `--workers 1` is the single-process server.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  dropInheritedLock,
  assertNoLock,
  dovecotProblems,
  lastDovecotConf,
  loadAverage,
  startDovecotImap,
  startOurImap,
  type ImapServer,
} from "./imap-harness.ts";
import { machine, makeTempDir, median, onExit, table } from "./lmtp-harness.ts";

const { values } = parseArgs({
  options: {
    imaptest: { type: "string" },
    mbox: { type: "string" },
    clients: { type: "string", default: "20" },
    secs: { type: "string", default: "60" },
    users: { type: "string" },
    repeats: { type: "string", default: "1" },
    /** imaptest's documented benchmarking advice: a fixed seed, a fixed duration. */
    seed: { type: "string", default: "123" },
    /** More imaptest arguments, space-separated, e.g. "logout=0" (clients stay logged in). */
    extra: { type: "string", default: "" },
    /** Our IMAP worker processes (default: serve.ts's, one per CPU). */
    workers: { type: "string" },
  },
});
const imaptest = values.imaptest ?? process.env.IMAPTEST;
if (!imaptest || !existsSync(imaptest)) {
  throw new Error(
    "imaptest not found: build it from its public source against dovecot-dev (outside this " +
      "repository) and pass its path with --imaptest or IMAPTEST",
  );
}
const mbox = resolve(values.mbox ?? join(dirname(imaptest), "tests", "default.mbox"));
if (!existsSync(mbox)) throw new Error(`no mbox at ${mbox}: pass one with --mbox`);
const clients = Number(values.clients);
const secs = Number(values.secs);
const users = Number(values.users ?? values.clients);
const repeats = Number(values.repeats);
const ourWorkers = values.workers === undefined ? undefined : Number(values.workers);

interface ImaptestResult {
  /** Command name (imaptest's four-letter column) -> operations in the run. */
  readonly totals: Map<string, number>;
  /** Command name -> average milliseconds per command. */
  readonly msPerCommand: Map<string, number>;
  readonly errors: number;
  readonly output: string;
}

/** Parses imaptest's "Totals:" block and its last "ms/cmd avg" line. */
export function parseImaptest(output: string): ImaptestResult {
  const lines = output.split("\n");
  const at = lines.findIndex((l) => l.startsWith("Totals:"));
  if (at < 0) throw new Error(`no Totals in imaptest's output:\n${output.slice(-3000)}`);
  const names = (lines[at + 1] ?? "").trim().split(/\s+/);
  const numbers = lines
    .slice(at + 2)
    .map((l) => l.trim().split(/\s+/))
    .find((cells) => cells.length === names.length && cells.every((c) => /^\d+$/.test(c)));
  if (!numbers) throw new Error(`no totals line after Totals:\n${output.slice(-3000)}`);
  const totals = new Map(names.map((n, i) => [n, Number(numbers[i])]));
  const avgLine = lines
    .slice(0, at)
    .reverse()
    .find((l) => l.includes("ms/cmd avg"));
  const avg = avgLine?.replace("ms/cmd avg", "").trim().split(/\s+/) ?? [];
  const msPerCommand = new Map(names.map((n, i) => [n, Number(avg[i] ?? NaN)]));
  const errors = lines.filter((l) => /^Error:|\bError: /.test(l)).length;
  return { totals, msPerCommand, errors, output };
}

async function runImaptest(port: number): Promise<ImaptestResult> {
  const args = [
    "host=127.0.0.1",
    `port=${port}`,
    "user=user%d@example.test",
    `users=1-${users}`,
    "pass=pass",
    `mbox=${mbox}`,
    `clients=${clients}`,
    `secs=${secs}`,
    `seed=${values.seed}`,
    ...values.extra.split(" ").filter(Boolean),
  ];
  console.log(`  ${imaptest} ${args.join(" ")}`);
  const child = spawn(imaptest!, args, {
    env: { ...process.env, LD_LIBRARY_PATH: "/usr/lib/dovecot" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  onExit(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), (secs + 120) * 1000);
  await once(child, "exit");
  clearTimeout(timer);
  return parseImaptest(output);
}

dropInheritedLock();
const dir = await makeTempDir("mailstack-bench-imap-throughput-");
console.log(machine());
console.log(
  `imaptest: clients=${clients} secs=${secs} users=1-${users} mbox=${mbox} seed=${values.seed}, ` +
    `default command mix ${values.extra}; mailstack IMAP workers: ${values.workers ?? "one per CPU"}`,
);

type System = "ours" | "dovecot" | "dovecot-plain";
const systems: System[] = ["ours", "dovecot", "dovecot-plain"];
const results = new Map<System, ImaptestResult[]>(systems.map((s) => [s, []]));
const loads = new Map<System, string[]>(systems.map((s) => [s, []]));
for (let r = 0; r < repeats; r++) {
  for (const system of systems) {
    const runDir = join(dir, `${system}-${r}`);
    const server: ImapServer =
      system === "ours"
        ? await startOurImap({ dir: runDir, users, workers: ourWorkers })
        : await startDovecotImap({
            dir: runDir,
            users,
            connections: clients,
            passwordScheme: system === "dovecot" ? "ARGON2ID" : "PLAIN",
          });
    try {
      assertNoLock(server.pids());
      const loadBefore = loadAverage();
      console.log(`${server.system}, run ${r + 1}: load average ${loadBefore}`);
      const result = await runImaptest(server.port);
      const loadAfter = loadAverage();
      results.get(system)!.push(result);
      loads.get(system)!.push(`${loadBefore} → ${loadAfter}`);
      const total = [...result.totals.values()].reduce((a, b) => a + b, 0);
      console.log(
        `  ${(total / secs).toFixed(0)} ops/s in all, ${result.errors} error lines, load ${loadAfter}`,
      );
      // imaptest's last per-second lines and its average latencies, as it printed them.
      const tail = result.output.split("\n");
      const at = tail.findIndex((l) => l.startsWith("Totals:"));
      console.log(
        tail
          .slice(Math.max(0, at - 4), at + 5)
          .map((l) => `  | ${l}`)
          .join("\n"),
      );
      if (result.errors > 0) {
        console.log(
          result.output
            .split("\n")
            .filter((l) => l.includes("Error"))
            .slice(0, 10)
            .join("\n"),
        );
      }
      if (system !== "ours") {
        for (const line of dovecotProblems(runDir).slice(0, 10)) console.log(`  dovecot: ${line}`);
      }
    } finally {
      await server.stop();
    }
  }
}

console.log("\nDovecot's configuration:\n" + lastDovecotConf);
const names = [...(results.get("ours")?.[0]?.totals.keys() ?? [])];
const perSecond = (system: System, name: string) =>
  median(results.get(system)!.map((r) => (r.totals.get(name) ?? 0) / secs));
const latency = (system: System, name: string) =>
  median(results.get(system)!.map((r) => r.msPerCommand.get(name) ?? NaN));
const rows = names.map((name) => [
  name,
  ...systems.map((s) => perSecond(s, name).toFixed(1)),
  (perSecond("ours", name) / perSecond("dovecot", name)).toFixed(2),
  ...systems.map((s) => latency(s, name).toFixed(0)),
]);
const sum = (system: System) => names.reduce((s, n) => s + perSecond(system, n), 0);
rows.push([
  "all",
  ...systems.map((s) => sum(s).toFixed(1)),
  (sum("ours") / sum("dovecot")).toFixed(2),
  "",
  "",
  "",
]);
console.log(
  `\nops/s (median of ${repeats}), clients=${clients}, secs=${secs}, users=${users}\n` +
    table(
      [
        "command",
        "mailstack ops/s",
        "Dovecot ops/s",
        "Dovecot PLAIN ops/s",
        "ours/Dovecot",
        "mailstack ms/cmd",
        "Dovecot ms/cmd",
        "Dovecot PLAIN ms/cmd",
      ],
      rows,
    ),
);
console.log(`load averages, mailstack: ${loads.get("ours")!.join("; ")}`);
console.log(`load averages, Dovecot: ${loads.get("dovecot")!.join("; ")}`);
console.log(`load averages, Dovecot PLAIN: ${loads.get("dovecot-plain")!.join("; ")}`);
