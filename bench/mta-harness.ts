/**
 * Shared pieces of the MTA benchmarks (bench/mta-*.ts): our MTA (servers/mta/main.ts) as a
 * child process in front of our MDA (bench/lmtp-harness.ts starts it), a throwaway private
 * Postfix in front of a throwaway Dovecot LMTP, and Postfix's smtp-source speaking SMTP.
 *
 * The private Postfix has its own config_directory, queue_directory and data_directory under
 * the benchmark's temp directory, listens on a loopback port, logs to a file there
 * (maillog_file), accepts mail for example.test only (virtual_mailbox_maps) and delivers it over
 * LMTP to Dovecot (virtual_transport). Nothing of /etc/postfix is changed; `postfix -c DIR stop`
 * ends it, and an exit hook does so whatever happens.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { chown, mkdir, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { join } from "node:path";
import { hashPassword } from "../servers/shared/directory/passwords.ts";
import { ensureLocalCa, issueServerCertificate } from "../servers/shared/tls/local-ca.ts";
import {
  childPids,
  DOMAIN,
  freePort,
  onExit,
  procPss,
  procStatus,
  ROOT,
  SMTP_SOURCE,
  startDovecot,
  startOurMda,
  type LmtpServer,
} from "./lmtp-harness.ts";

export const POSTFIX = "/usr/sbin/postfix";
export const RECIPIENT = `bench@${DOMAIN}`;
export const SUBMITTER = `alice@${DOMAIN}`;
export const PASSWORD = "mta bench password";

/** A system that takes SMTP on `port` and files mail into a mailbox we can count. */
export interface SmtpSystem {
  readonly system: string;
  readonly port: number;
  /** The MTA-side processes whose memory counts. */
  pids(): number[];
  /** Messages delivered to the recipient's INBOX so far. */
  count(recipient: string): Promise<number>;
  stop(): Promise<void>;
}

export interface OurMtaOptions {
  readonly dir: string;
  /**
   * Port 25's pause before the greeting for clients not seen to behave; undefined: the default
   * (300 ms, then the client is remembered for a day: servers/mta/inbound/greeting-test.ts).
   */
  readonly greetingDelayMs?: number;
  /** How long a client that waited is greeted at once; undefined: the default (1 day). */
  readonly greetingPassSeconds?: number;
  readonly dkim: "dual" | "rsa" | "none";
  /** Connections per listener and per client address (idle-connection memory needs many). */
  readonly maxConnections?: number;
  readonly logLevel?: string;
}

export interface OurMta extends SmtpSystem {
  readonly submissionPort: number;
  readonly caCert: string;
  readonly mtaPid: number;
  readonly mda: LmtpServer;
}

/** Our MDA (as in the LMTP benchmarks), then our MTA delivering to it over LMTP. */
export async function startOurStack(options: OurMtaOptions): Promise<OurMta> {
  const { dir } = options;
  await mkdir(join(dir, "mda"), { recursive: true });
  const mda = await startOurMda({ dir: join(dir, "mda"), users: [RECIPIENT, SUBMITTER] });
  try {
    const ca = await ensureLocalCa(join(dir, "ca"));
    const cert = await issueServerCertificate(ca, {
      dnsNames: ["mail.example.test"],
      ipAddresses: ["127.0.0.1"],
      dir: join(dir, "tls"),
      name: "mta",
    });
    const passwordHash = await hashPassword(PASSWORD);
    const directoryPath = join(dir, "directory.json");
    await writeFile(
      directoryPath,
      JSON.stringify({
        users: [RECIPIENT, SUBMITTER].map((address) => ({ address, name: address, passwordHash })),
      }),
    );
    const many = options.maxConnections ?? 500;
    const [smtp, submission] = [await freePort(), await freePort()];
    const configPath = join(dir, "mta.json");
    await writeFile(
      configPath,
      JSON.stringify({
        hostname: "mail.example.test",
        domains: [DOMAIN],
        listeners: {
          smtp: { host: "127.0.0.1", port: smtp },
          submission: { host: "127.0.0.1", port: submission },
        },
        tls: { certPath: cert.certPath, keyPath: cert.keyPath },
        directory: { backend: "file", path: directoryPath },
        lmtp: { kind: "tcp", host: "127.0.0.1", port: mda.port },
        // One client address and one user send everything: no rate limit.
        limits: {
          ...(options.greetingDelayMs === undefined
            ? {}
            : { greetingDelayMs: options.greetingDelayMs }),
          ...(options.greetingPassSeconds === undefined
            ? {}
            : { greetingPassSeconds: options.greetingPassSeconds }),
          messagesPerMinute: 0,
          maxConnections: many,
          connectionsPerClient: many,
        },
        dkim: { [DOMAIN]: await dkimKeys(dir, options.dkim) },
        queue: { spoolDir: join(dir, "queue"), hostname: "mail.example.test" },
      }),
    );
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", "servers/mta/main.ts"],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          MAILSTACK_CONFIG: configPath,
          LOG_LEVEL: options.logLevel ?? "warn",
        },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      },
    );
    const pid = child.pid;
    if (pid === undefined) throw new Error("could not start the MTA");
    onExit(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the MTA was not ready in 30 s")), 30_000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the MTA exited with ${code} before it was ready`));
      });
      child.on("message", (m: { type?: string }) => {
        if (m.type !== "ready") return;
        clearTimeout(timer);
        resolve();
      });
    });
    return {
      system: "mailstack MTA + MDA",
      port: smtp,
      submissionPort: submission,
      caCert: ca.caCert,
      mtaPid: pid,
      mda,
      pids: () => [pid],
      count: (recipient) => mda.count(recipient),
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = once(child, "exit");
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
          await exited;
          clearTimeout(timer);
        }
        await mda.stop();
      },
    };
  } catch (error) {
    await mda.stop();
    throw error;
  }
}

async function dkimKeys(dir: string, which: OurMtaOptions["dkim"]) {
  const keys = [];
  const write = async (selector: string, algorithm: "rsa2048" | "ed25519") => {
    const pair =
      algorithm === "rsa2048"
        ? generateKeyPairSync("rsa", { modulusLength: 2048 })
        : generateKeyPairSync("ed25519");
    const keyPath = join(dir, `${selector}.key`);
    await writeFile(keyPath, pair.privateKey.export({ type: "pkcs8", format: "pem" }), {
      mode: 0o600,
    });
    return { selector, algorithm, keyPath };
  };
  if (which !== "none") keys.push(await write("rsa1", "rsa2048"));
  if (which === "dual") keys.push(await write("ed1", "ed25519"));
  return keys;
}

export interface PostfixOptions {
  readonly dir: string;
  /** Dovecot's mail_fsync behind it. */
  readonly mailFsync: "optimized" | "always";
  /** smtpd processes at most (master.cf maxproc); Postfix's default is 100. */
  readonly smtpdProcesses?: number;
}

export interface Postfix extends SmtpSystem {
  readonly dovecot: LmtpServer;
  /** The master and its children: smtpd, cleanup, qmgr, lmtp, ... */
  pids(): number[];
  /** Lines of its maillog with warnings or errors. */
  problems(): string[];
}

/** A throwaway Postfix on a loopback port, delivering over LMTP to a throwaway Dovecot. */
export async function startPostfix(options: PostfixOptions): Promise<Postfix> {
  if (!existsSync(POSTFIX)) throw new Error("postfix is not installed: apt-get install -y postfix");
  const { dir } = options;
  await mkdir(join(dir, "dovecot"), { recursive: true });
  const dovecot = await startDovecot({ dir: join(dir, "dovecot"), mailFsync: options.mailFsync });
  const conf = join(dir, "postfix");
  const queue = join(dir, "postfix-queue");
  const data = join(dir, "postfix-data");
  for (const d of [conf, queue, data]) await mkdir(d, { recursive: true });
  await chown(data, uidOf("postfix"), gidOf("postfix"));
  const port = await freePort();
  const maillog = join(dir, "postfix.log");
  await writeFile(
    join(conf, "main.cf"),
    `# Throwaway Postfix for bench/mta-*.ts: smtpd on 127.0.0.1:${port}, LMTP to Dovecot.
compatibility_level = 3.6
queue_directory = ${queue}
data_directory = ${data}
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = postfix.bench.test
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
virtual_mailbox_domains = ${DOMAIN}
virtual_mailbox_maps = inline:{ ${RECIPIENT}=ok }
virtual_transport = lmtp:inet:127.0.0.1:${dovecot.port}
maillog_file = ${maillog}
maillog_file_prefixes = ${dir}
alias_maps =
alias_database =
biff = no
`,
  );
  await writeFile(join(conf, "master.cf"), masterCf(port, options.smtpdProcesses ?? 100));
  const postfix = (command: string) => {
    // postfix(1) writes its errors to stderr only when that is a terminal: give it one.
    const out = spawnSync("script", ["-qc", `${POSTFIX} -c ${conf} ${command}`, "/dev/null"]);
    return { status: out.status, output: out.stdout.toString() };
  };
  onExit(() => void postfix("abort"));
  const started = postfix("start");
  if (started.status !== 0) throw new Error(`postfix start failed:\n${started.output}`);
  const masterPid = () => {
    try {
      return Number(readFileSync(join(queue, "pid", "master.pid"), "utf8").trim());
    } catch {
      return 0;
    }
  };
  await waitForSmtp(port, 15_000);
  const tree = (): number[] => {
    const master = masterPid();
    if (!master) return [];
    const all = [master];
    for (let i = 0; i < all.length; i++) all.push(...childPids(all[i]!));
    return all;
  };
  return {
    system: `Postfix ${postfixVersion()} + Dovecot LMTP (mail_fsync=${options.mailFsync})`,
    port,
    dovecot,
    pids: tree,
    count: (recipient) => dovecot.count(recipient),
    problems: () =>
      existsSync(maillog)
        ? readFileSync(maillog, "utf8")
            .split("\n")
            .filter((l) => /(warning|error|fatal|panic):/.test(l))
            .filter((l) => !/not owned by postfix/.test(l))
        : [],
    async stop() {
      postfix("stop");
      await dovecot.stop();
    },
  };
}

/** Debian's master.cf, with smtpd on our port and nothing chrooted (the queue has no /etc). */
function masterCf(port: number, smtpdProcesses: number): string {
  const text = readFileSync("/etc/postfix/master.cf", "utf8");
  return text
    .split("\n")
    .map((line) => {
      if (/^\s|^#|^$/.test(line)) return line;
      const fields = line.split(/\s+/);
      if (fields.length < 8) return line;
      if (fields[0] === "smtp" && fields[1] === "inet") {
        fields[0] = `127.0.0.1:${port}`;
        fields[6] = String(smtpdProcesses);
      }
      fields[4] = "n";
      return fields.join("\t");
    })
    .join("\n");
}

function uidOf(user: string): number {
  return Number(spawnSync("id", ["-u", user]).stdout.toString().trim());
}
function gidOf(user: string): number {
  return Number(spawnSync("id", ["-g", user]).stdout.toString().trim());
}
function postfixVersion(): string {
  return spawnSync("postconf", ["-h", "mail_version"]).stdout?.toString().trim() ?? "?";
}

/** Waits until a 220 greeting comes from the port. */
async function waitForSmtp(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const socket = await openIdle(port, { ehlo: false });
      socket.destroy();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A connection that got its 220 greeting (and, with ehlo, answered EHLO), then stays idle. */
export function openIdle(port: number, options: { ehlo: boolean }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let buffer = "";
    let stage: "greeting" | "ehlo" = "greeting";
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(30_000, () => fail(new Error("timeout")));
    socket.on("error", fail);
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      // A complete reply ends with a line "NNN text" (no dash after the code).
      if (!/(^|\n)\d{3} [^\n]*\r?\n$/.test(buffer)) return;
      const last = buffer.trimEnd().split("\n").at(-1) ?? "";
      buffer = "";
      if (!last.startsWith(stage === "greeting" ? "220" : "250")) {
        fail(new Error(`unexpected reply ${last}`));
        return;
      }
      if (stage === "greeting" && options.ehlo) {
        stage = "ehlo";
        socket.write("EHLO idle.bench.test\r\n");
        return;
      }
      socket.setTimeout(0);
      socket.removeAllListeners("data");
      socket.on("data", () => undefined);
      resolve(socket);
    });
  });
}

/**
 * Like openIdle on a submission port, then STARTTLS and EHLO again over TLS: an idle
 * connection of a mail client that has not logged in yet.
 */
export async function openIdleTls(port: number, ca: string): Promise<Socket> {
  const plain = await openIdle(port, { ehlo: true });
  plain.removeAllListeners("data");
  await new Promise<void>((resolve, reject) => {
    plain.once("data", (chunk: Buffer) =>
      chunk.toString().startsWith("220") ? resolve() : reject(new Error(chunk.toString())),
    );
    plain.write("STARTTLS\r\n");
  });
  plain.removeAllListeners("data");
  const secure = tlsConnect({ socket: plain, ca, servername: "mail.example.test" });
  await once(secure, "secureConnect");
  await new Promise<void>((resolve, reject) => {
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      if (!/(^|\n)250 [^\n]*\r?\n$/.test(buffer)) return;
      secure.off("data", onData);
      secure.on("data", () => undefined);
      resolve();
    };
    secure.on("data", onData);
    secure.once("error", reject);
    secure.write("EHLO idle.bench.test\r\n");
  });
  return secure;
}

/** smtp-source over SMTP (not -L): -s sessions, -m messages, -l size; -d reuses connections. */
export function smtpSourceArgs(
  port: number,
  run: { sessions: number; messages: number; size: number; reuse: boolean; to: string },
): string[] {
  return [
    ...(run.reuse ? ["-d"] : []),
    ...["-s", String(run.sessions), "-m", String(run.messages), "-l", String(run.size)],
    ...["-f", "sender@bench.test", "-t", run.to],
    `127.0.0.1:${port}`,
  ];
}

export async function runSmtpSource(
  args: readonly string[],
  timeoutMs: number,
): Promise<{ seconds: number; code: number | null; output: string }> {
  const started = performance.now();
  const child = spawn(SMTP_SOURCE, args, { stdio: ["ignore", "pipe", "pipe"] });
  onExit(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { seconds: (performance.now() - started) / 1000, code, output: output.trim() };
}

/** Resolves once `count()` reaches `n`, with the seconds since `since`; rejects at the timeout. */
export async function waitForCount(
  count: () => Promise<number>,
  n: number,
  since: number,
  timeoutMs: number,
): Promise<number> {
  for (;;) {
    const got = await count();
    if (got >= n) return (performance.now() - since) / 1000;
    if (performance.now() - since > timeoutMs) {
      throw new Error(`only ${got} of ${n} messages delivered after ${timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Summed RSS (kB) and PSS (kB) of processes. */
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
