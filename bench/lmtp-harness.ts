/**
 * Shared pieces of the LMTP benchmarks (bench/lmtp-throughput.ts, bench/lmtp-memory.ts): our MDA
 * as a child process, a throwaway Dovecot LMTP server, Postfix's smtp-source as the common
 * client, and /proc readings (RSS, PSS, CPU time) of the server processes.
 *
 * Everything listens on 127.0.0.1 on a free port, lives in one temp directory, and is stopped
 * at the end, on an error, and on SIGINT/SIGTERM of the benchmark.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { hashPassword } from "../servers/shared/directory/passwords.ts";
import { openMailStore } from "../servers/store/index.ts";

export const ROOT = resolve(import.meta.dirname, "..");
export const SMTP_SOURCE = "/usr/sbin/smtp-source";
export const DOVECOT = "/usr/sbin/dovecot";
/** The unprivileged system user Dovecot delivers as (it refuses uid 0). */
export const MAIL_USER = "mailbench";
export const DOMAIN = "example.test";
export const SENDER = "sender@bench.test";

// ---------------------------------------------------------------------------------------------
// Cleanup: every process started here is registered and killed when the benchmark ends.

const cleanups: (() => void)[] = [];
let cleanupsInstalled = false;

/** Registers a synchronous last-resort cleanup (runs on exit, SIGINT, SIGTERM). */
export function onExit(fn: () => void): void {
  cleanups.push(fn);
  if (cleanupsInstalled) return;
  cleanupsInstalled = true;
  const runAll = () => {
    for (const f of cleanups.splice(0).reverse()) {
      try {
        f();
      } catch {
        // best effort
      }
    }
  };
  process.on("exit", runAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      runAll();
      process.exitCode = 130;
      process.kill(process.pid, "SIGKILL"); // end now; children are already gone
    });
  }
}

export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  // Dovecot's lmtp processes run as an unprivileged user and must traverse it.
  await chmod(dir, 0o755);
  onExit(() => {
    if (process.env.KEEP_BENCH_DIR) return;
    spawnSync("rm", ["-rf", dir]);
  });
  return dir;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * Starts `dovecot -F` on `confPath` in its own process group (so its whole tree can be ended at
 * once, also when the bench exits) and waits with `ready`; on failure, the end of its log.
 */
export async function startDovecotProcess(
  confPath: string,
  logPath: string,
  ready: (alive: () => boolean) => Promise<void>,
): Promise<{
  pid: number;
  tree: () => number[];
  /** SIGTERM to the group, SIGKILL after 10 s; stragglers go with the group. */
  stop: () => Promise<void>;
}> {
  const child = spawn(DOVECOT, ["-c", confPath, "-F"], {
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start dovecot");
  const killTree = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  onExit(() => killTree("SIGKILL"));
  try {
    await ready(() => child.exitCode === null);
  } catch (error) {
    killTree("SIGKILL");
    const log = existsSync(logPath) ? readFileSync(logPath, "utf8").slice(-2000) : "";
    throw new Error(`${(error as Error).message}\n${log}`);
  }
  async function stop(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    killTree("SIGTERM");
    const timer = setTimeout(() => killTree("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    killTree("SIGKILL"); // stragglers (a child that outlived the master) go with the group
  }
  return { pid, tree: () => [pid, ...childPids(pid)], stop };
}

async function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const { connect } = await import("node:net");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`server exited before listening on ${port}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        r(true);
      });
      s.once("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------------------------------------
// /proc readings

export interface ProcStatus {
  /** kB */
  readonly rss: number;
  /** kB, peak RSS since start or the last resetPeak */
  readonly hwm: number;
}

export function procStatus(pid: number): ProcStatus | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0);
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return undefined;
  }
}

/** Proportional set size in kB (shared pages divided among the processes sharing them). */
export function procPss(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Resets VmHWM to the current RSS (Linux >= 4.0, `echo 5 > clear_refs`). */
export function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    // not supported: VmHWM stays the peak since the process started
  }
}

const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim() || 100);

/** CPU seconds of a process: own user+system, plus reaped children's when `children`. */
export function procCpuSeconds(pid: number, children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); utime=14, stime=15, cutime=16, cstime=17
    const f = (n: number) => Number(fields[n - 3] ?? 0);
    return (f(14) + f(15) + (children ? f(16) + f(17) : 0)) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** The direct children of `pid` (from /proc/<pid>/task/<pid>/children, or a /proc scan). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    const out: number[] = [];
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (ppid === pid) out.push(Number(entry));
      } catch {
        // gone
      }
    }
    return out;
  }
}

export interface MemorySample {
  readonly t: number;
  /** kB, summed over the processes */
  readonly rss: number;
  /** kB, summed over the processes */
  readonly pss: number;
}

/** Samples the summed RSS and PSS of a set of processes at a fixed interval. */
export class MemorySampler {
  readonly samples: MemorySample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly start = performance.now();

  constructor(
    private readonly pids: () => number[],
    private readonly intervalMs: number,
    private readonly withPss = true,
  ) {}

  begin(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  sample(): void {
    let rss = 0;
    let pss = 0;
    for (const pid of this.pids()) {
      rss += procStatus(pid)?.rss ?? 0;
      if (this.withPss) pss += procPss(pid);
    }
    this.samples.push({ t: (performance.now() - this.start) / 1000, rss, pss });
  }

  end(): MemorySample[] {
    clearInterval(this.timer);
    this.sample();
    return this.samples;
  }

  get maxRss(): number {
    return Math.max(0, ...this.samples.map((s) => s.rss));
  }

  get maxPss(): number {
    return Math.max(0, ...this.samples.map((s) => s.pss));
  }
}

// ---------------------------------------------------------------------------------------------
// The servers

export interface LmtpServer {
  readonly system: string;
  readonly port: number;
  /** The processes whose memory counts (the MDA; Dovecot's master and all its children). */
  pids(): number[];
  /** CPU seconds used by the server so far (with reaped children). */
  cpuSeconds(): number;
  /** Resets the peak-RSS counters before a run. */
  resetPeak(): void;
  /** Peak RSS (kB) since the last resetPeak, when the kernel keeps it (our single process). */
  peakRss(): number | undefined;
  /** Messages in the recipient's INBOX. */
  count(recipient: string): Promise<number>;
  stop(): Promise<void>;
}

export interface OurMdaOptions {
  readonly dir: string;
  /** The addresses the directory knows (each gets its own mailbox). */
  readonly users: readonly string[];
  /** Our default is one day; 0 turns duplicate suppression off. */
  readonly dedupeWindowSeconds?: number;
  /** LMTP worker processes (the MDA's `workers` key); default: the MDA's default, one per CPU. */
  readonly workers?: number;
  /** Write a V8 CPU profile of the MDA into this directory (on exit), one per process. */
  readonly cpuProfDir?: string;
  readonly logLevel?: string;
}

/** Our MDA (servers/mda/main.ts) as a child process, as the local runner starts it. */
export async function startOurMda(options: OurMdaOptions): Promise<LmtpServer> {
  const { dir } = options;
  const hash = await hashPassword("bench-password-unused");
  const directoryPath = join(dir, "directory.json");
  await writeFile(
    directoryPath,
    JSON.stringify({
      users: options.users.map((address) => ({ address, name: address, passwordHash: hash })),
    }),
  );
  const dataDir = join(dir, "data");
  const configPath = join(dir, "mda.json");
  await writeFile(
    configPath,
    JSON.stringify({
      hostname: "mda.bench.test",
      domains: [DOMAIN],
      listen: [{ kind: "tcp", host: "127.0.0.1", port: 0 }],
      dataDir,
      directory: { backend: "file", path: directoryPath },
      ...(options.dedupeWindowSeconds === undefined
        ? {}
        : { dedupeWindowSeconds: options.dedupeWindowSeconds }),
      ...(options.workers === undefined ? {} : { workers: options.workers }),
    }),
  );
  const nodeArgs = ["--import", "tsx"];
  if (options.cpuProfDir) nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, "servers/mda/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      MAILSTACK_CONFIG: configPath,
      LOG_LEVEL: options.logLevel ?? "warn",
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start the MDA");
  onExit(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(
      () => reject(new Error("the MDA did not report ready in 30 s")),
      30_000,
    );
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the MDA exited with ${code} before it was ready`));
    });
    child.on("message", (m: { type?: string; endpoints?: { port: number }[] }) => {
      if (m.type === "ready") {
        clearTimeout(timer);
        resolvePort(m.endpoints?.[0]?.port ?? 0);
      }
    });
  });
  // With workers the MDA is a primary and its worker processes: every figure sums them all.
  const tree = () => [pid, ...childPids(pid)];
  return {
    system: "mailstack MDA",
    port,
    pids: tree,
    // The primary's reaped children (restarted workers) plus the live ones.
    cpuSeconds: () =>
      procCpuSeconds(pid, true) + childPids(pid).reduce((s, c) => s + procCpuSeconds(c, true), 0),
    resetPeak: () => tree().forEach(resetPeak),
    // Summed VmHWM of the processes: an upper bound of the peak of their sum.
    peakRss: () => tree().reduce((sum, p) => sum + (procStatus(p)?.hwm ?? 0), 0),
    async count(recipient) {
      const store = openMailStore({ dataDir, idleCloseMs: 0 });
      try {
        const account = await store.openAccount(recipient);
        try {
          const mailbox = await account.openMailbox("INBOX");
          return (await mailbox.list()).length;
        } finally {
          await account.close();
        }
      } finally {
        await store.close();
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface DovecotOptions {
  readonly dir: string;
  /** Dovecot's default is `optimized`. */
  readonly mailFsync: "optimized" | "always" | "never";
}

function idOf(flag: "-u" | "-g", name: string): number {
  const out = spawnSync("id", [flag, name]);
  if (out.status !== 0) {
    throw new Error(
      `no system user ${name}: create it with \`useradd -r -M -s /usr/sbin/nologin ${name}\``,
    );
  }
  return Number(out.stdout.toString().trim());
}

/** A throwaway Dovecot with only LMTP, delivering to Maildir under `dir`, as `mailbench`. */
export async function startDovecot(options: DovecotOptions): Promise<LmtpServer> {
  if (!existsSync(DOVECOT)) {
    throw new Error("dovecot is not installed: apt-get install -y dovecot-core dovecot-lmtpd");
  }
  const uid = idOf("-u", MAIL_USER);
  const gid = idOf("-g", MAIL_USER);
  const { dir } = options;
  const mailRoot = join(dir, "mail");
  await chmod(dir, 0o755); // the lmtp process runs as mailbench and must traverse it
  for (const d of ["run", "state", "mail"]) await mkdir(join(dir, d), { recursive: true });
  await chown(mailRoot, uid, gid);
  const port = await freePort();
  const confPath = join(dir, "dovecot.conf");
  const logPath = join(dir, "dovecot.log");
  await writeFile(
    confPath,
    `# Throwaway Dovecot for bench/lmtp-*.ts: LMTP only, Maildir, no TLS.
base_dir = ${join(dir, "run")}
state_dir = ${join(dir, "state")}
log_path = ${logPath}
protocols = lmtp
listen = 127.0.0.1
ssl = no
mail_location = maildir:${mailRoot}/%u/Maildir
mail_fsync = ${options.mailFsync}
first_valid_uid = ${uid}
first_valid_gid = ${gid}
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${mailRoot}/%u
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${port}
  }
}
`,
  );
  const { pid, tree, stop } = await startDovecotProcess(confPath, logPath, (alive) =>
    waitForPort(port, 15_000, alive),
  );
  return {
    system: `Dovecot LMTP (mail_fsync=${options.mailFsync})`,
    port,
    pids: tree,
    // The master's reaped children plus the live ones (lmtp processes are reused).
    cpuSeconds: () =>
      procCpuSeconds(pid, true) + childPids(pid).reduce((s, c) => s + procCpuSeconds(c, true), 0),
    resetPeak: () => tree().forEach(resetPeak),
    peakRss: () => undefined,
    async count(recipient) {
      let n = 0;
      for (const sub of ["new", "cur"]) {
        n += (await readdir(join(mailRoot, recipient, "Maildir", sub)).catch(() => [])).length;
      }
      return n;
    },
    stop,
  };
}

/** Lines of Dovecot's log that are warnings or errors. */
export function dovecotProblems(dir: string): string[] {
  const path = join(dir, "dovecot.log");
  if (!existsSync(path)) return [];
  return (
    readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => /(Warning|Error|Fatal|Panic):/.test(l))
      // our own SIGTERM at the end of the benchmark
      .filter((l) => !/Killed with signal 15/.test(l))
  );
}

// ---------------------------------------------------------------------------------------------
// The client

export interface SourceRun {
  readonly messages: number;
  /** Payload bytes per message (smtp-source -l; headers come on top, about 150 bytes). */
  readonly size: number;
  /** Concurrent sessions in all. */
  readonly sessions: number;
  /**
   * One recipient: one smtp-source with -s sessions. Several: one smtp-source per recipient,
   * running at once, each with sessions/recipients sessions and messages/recipients messages.
   */
  readonly to: string | readonly string[];
  /** smtp-source -d: keep each session's connection for its next message. */
  readonly reuseConnections?: boolean;
  /** Killed after this long (the run then counts as failed). */
  readonly timeoutMs: number;
}

export interface SourceResult {
  /** Wall time until the last smtp-source exited. */
  readonly seconds: number;
  /** 0 when every smtp-source exited 0. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly timedOut: boolean;
}

function sourceArgs(
  port: number | string,
  run: { messages: number; size: number; sessions: number; to: string; reuseConnections?: boolean },
): string[] {
  return [
    "-L",
    ...(run.reuseConnections ? ["-d"] : []),
    "-s",
    String(run.sessions),
    "-m",
    String(run.messages),
    "-l",
    String(run.size),
    "-f",
    SENDER,
    "-t",
    run.to,
    `127.0.0.1:${port}`,
  ];
}

function splitRun(run: Omit<SourceRun, "timeoutMs">) {
  const recipients = typeof run.to === "string" ? [run.to] : [...run.to];
  if (run.sessions % recipients.length || run.messages % recipients.length) {
    throw new Error("sessions and messages must divide evenly among the recipients");
  }
  return recipients.map((to) => ({
    ...run,
    to,
    sessions: run.sessions / recipients.length,
    messages: run.messages / recipients.length,
  }));
}

export async function smtpSource(port: number, run: SourceRun): Promise<SourceResult> {
  const started = performance.now();
  let output = "";
  let timedOut = false;
  const children = splitRun(run).map((part) => {
    const child = spawn(SMTP_SOURCE, sourceArgs(port, part), { stdio: ["ignore", "pipe", "pipe"] });
    onExit(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    return child;
  });
  const timer = setTimeout(() => {
    timedOut = true;
    for (const child of children) child.kill("SIGKILL");
  }, run.timeoutMs);
  const exits = await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return [child.exitCode, child.signalCode] as const;
      }
      return (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  clearTimeout(timer);
  const bad = exits.find(([code]) => code !== 0);
  return {
    seconds,
    exitCode: bad ? bad[0] : 0,
    signal: bad ? bad[1] : null,
    output: output.trim(),
    timedOut,
  };
}

/** The client command line(s) of a run, for the report. */
export function smtpSourceCommand(
  port: number | string,
  run: Omit<SourceRun, "timeoutMs">,
): string {
  const parts = splitRun(run);
  const first = [SMTP_SOURCE, ...sourceArgs(port, parts[0]!)].join(" ");
  return parts.length === 1
    ? first
    : `${parts.length} at once, each like: ${first}  (recipients ${parts[0]!.to} .. ${parts[parts.length - 1]!.to})`;
}

/** Lets the disk settle between runs, so one run's writeback does not land on the next. */
export async function settleDisk(): Promise<void> {
  spawnSync("sync");
  await new Promise((r) => setTimeout(r, 1500));
}

/**
 * Bytes written to the machine's block devices so far (/proc/diskstats, 512-byte sectors,
 * partitions and loop/ram devices left out). Machine-wide: other processes' writes count too.
 */
export function diskWrittenBytes(): number {
  let sectors = 0;
  for (const line of readFileSync("/proc/diskstats", "utf8").split("\n")) {
    const f = line.trim().split(/\s+/);
    const name = f[2] ?? "";
    if (!/^(vd[a-z]+|sd[a-z]+|nvme\d+n\d+|xvd[a-z]+)$/.test(name)) continue;
    sectors += Number(f[9] ?? 0);
  }
  return sectors * 512;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [
    line(header),
    "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|",
    ...rows.map(line),
  ].join("\n");
}

export function machine(): string {
  const cpu = readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.*)$/m.exec(cpu)?.[1] ?? "?";
  const nproc = spawnSync("nproc").stdout?.toString().trim();
  const mem = /^MemTotal:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1];
  const dovecot = spawnSync(DOVECOT, ["--version"]).stdout?.toString().trim() ?? "?";
  return `nproc=${nproc} (${model}), MemTotal=${Math.round(Number(mem) / 1024 / 1024)} GiB, node ${process.version}, dovecot ${dovecot}`;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
