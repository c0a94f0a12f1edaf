/**
 * Shared pieces of the IMAP benchmarks (bench/imap-throughput.ts, bench/imap-idle-memory.ts):
 * our IMAP server (servers/imap/bench/serve.ts) as a child process, a throwaway Dovecot IMAP
 * server with the same users and the same argon2id password hash, and an IMAP connection
 * that logs in, selects INBOX and stays in IDLE.
 *
 * Both servers listen on 127.0.0.1 on a free port, keep their data under one temp directory, and
 * are stopped at the end, on an error and on SIGINT/SIGTERM (lmtp-harness.ts's onExit).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { closeSync, existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { chown, mkdir, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { hashPassword } from "../servers/shared/directory/passwords.ts";
import {
  childPids,
  freePort,
  MAIL_USER,
  onExit,
  startDovecotProcess,
  procPss,
  procStatus,
  ROOT,
} from "./lmtp-harness.ts";

export const BENCH_LOCK = "/tmp/mailstack-bench.lock";
/** serve.ts's users are user1@example.test .. userN@example.test, password "pass". */
export const PASSWORD = "pass";
export const userName = (i: number): string => `user${i}@example.test`;

/**
 * Closes every descriptor this process inherited on the benchmark lock file (flock(1) passes
 * its own to the command), so that no server started from here holds the lock after we end.
 * flock(1) keeps its own descriptor, so the lock stays held until the benchmark exits.
 */
export function dropInheritedLock(): void {
  for (const entry of readdirSync("/proc/self/fd")) {
    const fd = Number(entry);
    if (fd <= 2) continue;
    try {
      if (readlinkSync(`/proc/self/fd/${entry}`) === BENCH_LOCK) closeSync(fd);
    } catch {
      // gone, or the directory's own descriptor
    }
  }
}

/** Throws when one of the processes holds a descriptor on the benchmark lock. */
export function assertNoLock(pids: readonly number[]): void {
  for (const pid of pids) {
    let entries: string[] = [];
    try {
      entries = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const entry of entries) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${entry}`) === BENCH_LOCK) {
          throw new Error(`process ${pid} inherited the benchmark lock (fd ${entry})`);
        }
      } catch (error) {
        if ((error as Error).message.includes("inherited")) throw error;
      }
    }
  }
}

export interface ImapServer {
  readonly system: string;
  readonly port: number;
  /** Every process of the server (ours: the primary and its workers; Dovecot: the master and all its children). */
  pids(): number[];
  /** Dovecot: its `imap` processes (one per logged-in connection); ours: all its processes. */
  imapPids(): number[];
  stop(): Promise<void>;
}

/** Summed RSS and PSS (kB) of processes. */
export function memoryOf(pids: readonly number[]): { rss: number; pss: number } {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    rss += procStatus(pid)?.rss ?? 0;
    pss += procPss(pid);
  }
  return { rss, pss };
}

export function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

/**
 * servers/imap/bench/serve.ts as a child process (plain port, LOG_LEVEL=warn): a cluster primary
 * with `workers` IMAP worker processes (default: serve.ts's, one per CPU), or one process.
 */
export async function startOurImap(options: {
  dir: string;
  users: number;
  workers?: number | undefined;
}): Promise<ImapServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...["--import", "tsx", "servers/imap/bench/serve.ts"],
      ...["--port", String(port), "--users", String(options.users), "--dir", options.dir],
      ...(options.workers === undefined ? [] : ["--workers", String(options.workers)]),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start servers/imap/bench/serve.ts");
  onExit(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("serve.ts did not listen in 60 s")), 60_000);
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("IMAP on ")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve.ts exited with ${code} before listening`));
    });
  });
  child.stdout?.resume();
  return {
    system: "mailstack IMAP",
    port,
    // The primary and its workers (none with --workers 1).
    pids: () => [pid, ...childPids(pid)],
    imapPids: () => [pid, ...childPids(pid)],
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

function idOf(flag: "-u" | "-g", name: string): number {
  const out = spawnSync("id", [flag, name]);
  if (out.status !== 0) {
    throw new Error(`no system user ${name}: useradd -r -M -s /usr/sbin/nologin ${name}`);
  }
  return Number(out.stdout.toString().trim());
}

export interface DovecotImapOptions {
  readonly dir: string;
  readonly users: number;
  /**
   * Connections the run needs at once: `service imap { process_limit }` (Dovecot's default 1024)
   * is raised to this plus 100 when it is higher.
   */
  readonly connections: number;
  /**
   * ARGON2ID: the very hash serve.ts gives our users (argon2id, 19 MiB, 2 passes), verified by
   * Dovecot's auth process. PLAIN: no hashing, to see Dovecot's IMAP side without login cost.
   */
  readonly passwordScheme: "ARGON2ID" | "PLAIN";
}

/** The generated dovecot.conf, for the benchmarks to print. */
export let lastDovecotConf = "";

/**
 * A throwaway Dovecot with only IMAP (no TLS, plaintext login allowed on loopback), Maildir
 * under `dir`, users from a passwd-file with the same argon2id hash serve.ts uses, mail owned
 * by `mailbench`. Everything else is Dovecot's default: one `imap` process per logged-in
 * connection, `imap-login` in high-security mode (a process per connection until login).
 */
export async function startDovecotImap(options: DovecotImapOptions): Promise<ImapServer> {
  if (!existsSync("/usr/lib/dovecot/imap")) {
    throw new Error("Dovecot's imap is not installed: apt-get install -y dovecot-imapd");
  }
  const uid = idOf("-u", MAIL_USER);
  const gid = idOf("-g", MAIL_USER);
  const { dir } = options;
  const mailRoot = join(dir, "mail");
  for (const d of ["run", "state", "mail"]) await mkdir(join(dir, d), { recursive: true });
  await chown(mailRoot, uid, gid);
  const hash =
    options.passwordScheme === "PLAIN"
      ? `{PLAIN}${PASSWORD}`
      : `{ARGON2ID}${await hashPassword(PASSWORD)}`;
  const passwdPath = join(dir, "passwd");
  await writeFile(
    passwdPath,
    Array.from({ length: options.users }, (_, i) => `${userName(i + 1)}:${hash}\n`).join(""),
  );
  const port = await freePort();
  const processLimit = Math.max(1024, options.connections + 100);
  const confPath = join(dir, "dovecot.conf");
  const logPath = join(dir, "dovecot.log");
  lastDovecotConf = `# Throwaway Dovecot for bench/imap-*.ts: IMAP only, Maildir, no TLS.
base_dir = ${join(dir, "run")}
state_dir = ${join(dir, "state")}
log_path = ${logPath}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
mail_location = maildir:${mailRoot}/%u/Maildir
first_valid_uid = ${uid}
first_valid_gid = ${gid}
# Dovecot's default 1000 bounds auth, anvil and log clients; 1,000 imap processes need more.
default_client_limit = ${Math.max(1000, 2 * options.connections + 200)}
passdb {
  driver = passwd-file
  args = ${passwdPath}
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${mailRoot}/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service imap {
  process_limit = ${processLimit}
}
`;
  await writeFile(confPath, lastDovecotConf);
  const { pid, tree, stop } = await startDovecotProcess(confPath, logPath, (alive) =>
    waitForGreeting(port, 15_000, alive),
  );
  return {
    system: `Dovecot IMAP (${options.passwordScheme} passwords)`,
    port,
    pids: tree,
    imapPids: () => childPids(pid).filter((p) => comm(p) === "imap"),
    stop,
  };
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** Lines of a Dovecot log that are warnings or errors. */
export function dovecotProblems(dir: string): string[] {
  const path = join(dir, "dovecot.log");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => /(Warning|Error|Fatal|Panic):/.test(l))
    .filter((l) => !/Killed with signal 15/.test(l));
}

async function waitForGreeting(port: number, timeoutMs: number, alive: () => boolean) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`server exited before listening on ${port}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, "127.0.0.1");
      s.once("data", () => {
        s.destroy();
        r(true);
      });
      s.once("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no IMAP greeting on ${port} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A connection that logged in, selected INBOX and is in IDLE (got the continuation); it stays
 * open, its input read and dropped, until destroyed.
 */
export function openIdleImap(port: number, user: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const steps: [expect: RegExp, send: string | undefined][] = [
      [/^\* OK/, `a LOGIN ${user} ${PASSWORD}\r\n`],
      [/^a (OK|NO|BAD)/, "b SELECT INBOX\r\n"],
      [/^b (OK|NO|BAD)/, "c IDLE\r\n"],
      [/^(\+|c (NO|BAD))/, undefined],
    ];
    let buffer = "";
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(120_000, () => fail(new Error(`timeout for ${user}`)));
    socket.on("error", fail);
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const step = steps[0];
        if (!step || !step[0].test(line)) continue;
        if (/^[abc] (NO|BAD)/.test(line)) {
          fail(new Error(`${user}: ${line.trim()}`));
          return;
        }
        steps.shift();
        if (step[1] !== undefined) {
          socket.write(step[1]);
          continue;
        }
        socket.setTimeout(0);
        socket.removeAllListeners("data");
        socket.on("data", () => undefined);
        resolve(socket);
        return;
      }
    });
  });
}
