/**
 * The reference filters of the spam benchmarks, each in a throwaway directory and on loopback
 * ports of its own, started and stopped by process id:
 *
 * - SpamAssassin (Debian spamassassin 4.0.x): Bayes in a temporary bayes_path trained with
 *   `sa-learn`, no auto-learning, network tests off (`-L` for both sa-learn and spamd), no
 *   razor/pyzor/DCC; messages checked by spamd over its SPAMC protocol (CHECK), 2 children.
 *   Flagged means score >= required_score (5.0).
 * - rspamd (Debian rspamd 3.4): the packaged configuration with a throwaway LOCAL_CONFDIR that
 *   moves its sockets, database and logs, puts Bayes on the sqlite3 backend (no Redis here),
 *   and points DNS at the given server; learned through the controller (/learnspam,
 *   /learnham with `Learn-Type: bulk`, which the packaged learn condition lets through even when
 *   the classifier already puts the message in the class), checked through /checkv2 on 2 normal
 *   workers. rspamd still refuses messages its learn cache calls "already learned"; the bench
 *   prints how many it learned. Flagged means the action is
 *   "add header", "rewrite subject" or "reject" (score >= 6 by default).
 *
 * Both need root-owned temporary files readable by their unprivileged children; the
 * directories are made world-writable for that.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface Verdict {
  readonly score: number;
  readonly flagged: boolean;
}

export interface ReferenceFilter {
  readonly name: string;
  check(
    raw: Buffer,
    envelope?: { readonly mailFrom?: string; readonly ip?: string; readonly helo?: string },
  ): Promise<Verdict>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, "close");
  return port;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, "exit");
  process.kill(child.pid, "SIGTERM");
  const timer = setTimeout(
    () => child.pid !== undefined && process.kill(child.pid, "SIGKILL"),
    10_000,
  );
  await exited;
  clearTimeout(timer);
}

async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  child: ChildProcess,
  seconds: number,
): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    if (await probe().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what} did not start within ${seconds} s`);
}

// --- SpamAssassin -------------------------------------------------------------------------

export const SPAMASSASSIN = { learn: "/usr/bin/sa-learn", spamd: "/usr/sbin/spamd" };

export function spamAssassinAvailable(): boolean {
  return existsSync(SPAMASSASSIN.learn) && existsSync(SPAMASSASSIN.spamd);
}

export async function startSpamAssassin(training: {
  readonly spamDir: string;
  readonly hamDir: string;
}): Promise<ReferenceFilter> {
  const dir = await mkdtemp(join(tmpdir(), "mailstack-sa-"));
  const site = join(dir, "site");
  await mkdir(join(dir, "bayes"), { recursive: true });
  await mkdir(site);
  await writeFile(
    join(site, "local.cf"),
    [
      "use_bayes 1",
      "bayes_auto_learn 0",
      `bayes_path ${join(dir, "bayes", "bayes")}`,
      "bayes_file_mode 0777",
      "skip_rbl_checks 1",
      "use_razor2 0",
      "use_pyzor 0",
      "use_dcc 0",
      "lock_method flock",
      "",
    ].join("\n"),
  );
  // The plugin loaders (*.pre) come from the package; local.cf is ours alone.
  for (const pre of spawnSync("sh", ["-c", "ls /etc/spamassassin/*.pre"])
    .stdout.toString()
    .split("\n")
    .filter(Boolean)) {
    spawnSync("cp", [pre, site]);
  }
  await chmod(dir, 0o777);
  for (const sub of ["bayes", "site"]) await chmod(join(dir, sub), 0o777);
  for (const [flag, source] of [
    ["--spam", training.spamDir],
    ["--ham", training.hamDir],
  ] as const) {
    const learned = spawnSync(
      SPAMASSASSIN.learn,
      [`--siteconfigpath=${site}`, "-L", "--no-sync", flag, source],
      {
        encoding: "utf8",
        env: { ...process.env, HOME: dir },
      },
    );
    if (learned.status !== 0) throw new Error(`sa-learn ${flag} failed: ${learned.stderr}`);
  }
  const synced = spawnSync(SPAMASSASSIN.learn, [`--siteconfigpath=${site}`, "--sync"], {
    encoding: "utf8",
    env: { ...process.env, HOME: dir },
  });
  if (synced.status !== 0) throw new Error(`sa-learn --sync failed: ${synced.stderr}`);
  spawnSync("chmod", ["-R", "a+rw", join(dir, "bayes")]);

  const port = await freePort();
  const child = spawn(
    SPAMASSASSIN.spamd,
    [
      "-L",
      `--siteconfigpath=${site}`,
      `--listen=127.0.0.1:${port}`,
      "--max-children=2",
      "--min-children=2",
      "--nouser-config",
      "-u",
      "nobody",
      "-s",
      "stderr",
    ],
    { stdio: ["ignore", "ignore", "ignore"], env: { ...process.env, HOME: dir } },
  );
  await waitFor(
    "spamd",
    async () => (await spamc(port, "PING", Buffer.alloc(0))).startsWith("SPAMD/1.5 0 PONG"),
    child,
    120,
  );
  return {
    name: "SpamAssassin 4 + Bayes (-L)",
    async check(raw) {
      const reply = await spamc(port, "CHECK", raw);
      const m = /Spam: (True|False) ; (-?[\d.]+) \/ (-?[\d.]+)/.exec(reply);
      if (!m) throw new Error(`spamd: unexpected reply ${reply.slice(0, 80)}`);
      return { score: Number(m[2]), flagged: m[1] === "True" };
    },
    async stop() {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One SPAMC/1.5 request (spamd's protocol): "<VERB> SPAMC/1.5", Content-length, the message. */
function spamc(port: number, verb: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("connect", () => {
      socket.write(`${verb} SPAMC/1.5\r\nContent-length: ${body.length}\r\n\r\n`);
      socket.end(body);
    });
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", reject);
  });
}

// --- rspamd ---------------------------------------------------------------------------------

export const RSPAMD = "/usr/bin/rspamd";

export function rspamdAvailable(): boolean {
  return existsSync(RSPAMD);
}

export interface Rspamd extends ReferenceFilter {
  /** "learned", or why rspamd skipped the message. */
  learn(raw: Buffer, verdict: "spam" | "ham"): Promise<string>;
  /** What the controller says it has learned (its /stat). */
  learned(): Promise<number>;
}

export async function startRspamd(options: {
  readonly dns: string;
  readonly workers: number;
}): Promise<Rspamd> {
  const dir = await mkdtemp(join(tmpdir(), "mailstack-rspamd-"));
  const local = join(dir, "local");
  for (const sub of ["local/local.d", "local/override.d", "db", "run", "log"])
    await mkdir(join(dir, sub), { recursive: true });
  const [normal, controller] = [await freePort(), await freePort()];
  const files: Record<string, string> = {
    "local.d/worker-normal.inc": `bind_socket = "127.0.0.1:${normal}";\ncount = ${options.workers};\n`,
    "override.d/worker-controller.inc": `bind_socket = "127.0.0.1:${controller}";\ncount = 1;\nsecure_ip = "127.0.0.1";\n`,
    "override.d/worker-proxy.inc": "count = 0;\n",
    "local.d/logging.inc": 'level = "error";\n',
    "local.d/options.inc": `dns { nameserver = ["${options.dns}"]; timeout = 1s; retransmits = 1; }\n`,
    "override.d/classifier-bayes.conf": [
      'tokenizer { name = "osb"; }',
      'backend = "sqlite3";',
      "min_learns = 200;",
      "min_tokens = 11;",
      // The learn cache would otherwise live in /var/lib/rspamd and outlast this run.
      `cache { type = "sqlite3"; path = "${join(dir, "db", "learn_cache.sqlite")}"; }`,
      `statfile { symbol = "BAYES_HAM"; spam = false; path = "${join(dir, "db", "bayes.ham.sqlite")}"; }`,
      `statfile { symbol = "BAYES_SPAM"; spam = true; path = "${join(dir, "db", "bayes.spam.sqlite")}"; }`,
      "",
    ].join("\n"),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(local, name), text);
  spawnSync("chmod", ["-R", "a+rwX", dir]);
  const vars = {
    LOCAL_CONFDIR: local,
    DBDIR: join(dir, "db"),
    RUNDIR: join(dir, "run"),
    LOGDIR: join(dir, "log"),
  };
  const child = spawn(
    RSPAMD,
    [
      "-f",
      "-i",
      "-u",
      "root",
      "-g",
      "root",
      "-c",
      "/etc/rspamd/rspamd.conf",
      ...Object.entries(vars).map(([k, v]) => `--var=${k}=${v}`),
    ],
    { stdio: ["ignore", "ignore", "ignore"], cwd: dir },
  );
  const base = `http://127.0.0.1:${normal}`;
  await waitFor(
    "rspamd",
    async () =>
      (await fetch(`${base}/ping`)).ok && (await fetch(`http://127.0.0.1:${controller}/ping`)).ok,
    child,
    180,
  );
  return {
    name: "rspamd 3.4 + Bayes",
    async learn(raw, verdict) {
      const response = await fetch(`http://127.0.0.1:${controller}/learn${verdict}`, {
        method: "POST",
        body: raw,
        headers: { "Learn-Type": "bulk" },
      });
      const text = await response.text();
      if (response.ok && /"success":\s*true/.test(text)) return "learned";
      // Already learned (208), too few tokens, and the like: rspamd skips the message.
      return `skipped: HTTP ${response.status} ${text.replace(/\s+/g, " ").slice(0, 80)}`;
    },
    async learned() {
      const stat = (await (await fetch(`http://127.0.0.1:${controller}/stat`)).json()) as {
        learned?: number;
      };
      return stat.learned ?? 0;
    },
    async check(raw, envelope = {}) {
      const headers: Record<string, string> = {};
      if (envelope.mailFrom !== undefined) headers.From = envelope.mailFrom;
      if (envelope.ip !== undefined) headers.IP = envelope.ip;
      if (envelope.helo !== undefined) headers.Helo = envelope.helo;
      const response = await fetch(`${base}/checkv2`, { method: "POST", body: raw, headers });
      const result = (await response.json()) as { score: number; action: string };
      return {
        score: result.score,
        flagged: ["add header", "rewrite subject", "reject"].includes(result.action),
      };
    },
    async stop() {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T, i);
    }
  });
  await Promise.all(runners);
  return results;
}
