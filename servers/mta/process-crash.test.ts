/**
 * kill -9 of the whole MTA process under load. servers/mta/main.ts runs as a child (as the local
 * runner starts it) with an LMTP sink as its MDA and a remote SMTP sink reached through a real
 * `named` (MX remote.test); concurrent nodemailer clients send, over port 25 and submission,
 * mail for local recipients (handed to the MDA before 250) and remote ones (fsynced to the
 * queue before 250). The MTA is SIGKILLed at random moments during the load and started again
 * on the same spool; once the load stops, the last MTA drains its queue. Then, for every
 * message a client got 250 for:
 *
 *   - each local recipient received it exactly once (LMTP is done before the 250; nothing
 *     re-sends it);
 *   - each remote recipient received it at least once, and more than once only inside the
 *     window SMTP cannot close (queue/README.md: the remote's 250, then the kill before the
 *     state file recorded it), at most the transactions in flight at each kill;
 *
 * and no sink received a message no client sent. No timing is asserted.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import nodemailer from "nodemailer";
import { startNamed, type Named } from "../../test/helpers/bind.ts";
import { hashPassword } from "../shared/directory/passwords.ts";
import { ensureLocalCa, issueServerCertificate } from "../shared/tls/local-ca.ts";
import type { MtaConfigInput } from "./config.ts";
import { startFakeSmtp, type FakeSmtp } from "./outbound/testing/fake-smtp.ts";
import { queueConfigSchema } from "./queue/config.ts";
import { waitFor } from "./queue/testing/wait.ts";
import { freePort, startMtaProcess, type MtaProcess } from "./testing/mta-process.ts";

const KILLS = 6;
const CLIENTS = 6;
const PASSWORD = "crash test password";
const ZONE = `$TTL 60
@      IN SOA ns.remote.test. hostmaster.remote.test. 1 60 60 600 60
@      IN NS  ns.remote.test.
ns     IN A   127.0.0.1
@      IN MX  10 mx.remote.test.
mx     IN A   127.0.0.1
`;

/** What the clients send, by kind: where it enters and which recipients it has. */
const KINDS = {
  /** Port 25, one local recipient: LMTP to the MDA while the client waits. */
  inbound: { port: "smtp", to: ["bob@example.test"] },
  /** Submission, local recipient: LMTP at once. */
  local: { port: "submission", to: ["bob@example.test"] },
  /** Submission, remote recipients: the queue. */
  remote: { port: "submission", to: ["one@remote.test", "two@remote.test"] },
  /** Submission, both: LMTP for bob, the queue for the other. */
  mixed: { port: "submission", to: ["bob@example.test", "three@remote.test"] },
} as const;
type Kind = keyof typeof KINDS;

let dir: string;
let named: Named;
let mda: FakeSmtp;
let remote: FakeSmtp;
let configPath: string;
let spoolDir: string;
let ca: string;
let ports: { smtp: number; submission: number };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-mta-crash-"));
  named = await startNamed([{ zone: "remote.test", text: ZONE }]);
  mda = await startFakeSmtp({ lmtp: true });
  remote = await startFakeSmtp();
  const localCa = await ensureLocalCa(join(dir, "ca"));
  ca = localCa.caCert;
  const cert = await issueServerCertificate(localCa, {
    dnsNames: ["mail.example.test"],
    ipAddresses: ["127.0.0.1"],
    dir: join(dir, "tls"),
    name: "mta",
  });
  const passwordHash = await hashPassword(PASSWORD);
  await writeFile(
    join(dir, "directory.json"),
    JSON.stringify({
      users: [
        { address: "alice@example.test", name: "Alice", passwordHash },
        { address: "bob@example.test", name: "Bob", passwordHash },
      ],
    }),
  );
  ports = { smtp: await freePort(), submission: await freePort() };
  spoolDir = join(dir, "queue");
  const lmtp = { kind: "tcp" as const, host: mda.host, port: mda.port };
  const config: MtaConfigInput = {
    hostname: "mail.example.test",
    domains: ["example.test"],
    listeners: {
      smtp: { host: "127.0.0.1", port: ports.smtp },
      submission: { host: "127.0.0.1", port: ports.submission },
    },
    tls: { certPath: cert.certPath, keyPath: cert.keyPath },
    directory: { backend: "file", path: join(dir, "directory.json") },
    lmtp,
    // The load is one client address and one user: no rate limit, no greeting delay.
    limits: { messagesPerMinute: 0, greetingDelayMs: 0, connectionsPerClient: 100 },
    queue: {
      spoolDir,
      hostname: "mail.example.test",
      retry: { firstSeconds: 0.2, factor: 1, maxSeconds: 0.2 },
      outbound: { port: remote.port },
      resolver: { servers: [`${named.host}:${named.port}`] },
      local: { domains: ["example.test"], lmtp },
      timeouts: { connectSeconds: 2, greetingSeconds: 5, idleSeconds: 10 },
    },
  };
  configPath = join(dir, "mta.json");
  await mkdir(spoolDir, { recursive: true });
  await writeFile(configPath, JSON.stringify(config));
});

after(async () => {
  await mda?.close();
  await remote?.close();
  await named?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

interface Load {
  /** seq -> kind, for every message a client started to send. */
  readonly tried: Map<number, Kind>;
  /** seq -> kind, for every message a client got 250 for (nodemailer resolved). */
  readonly acked: Map<number, Kind>;
  /** Sends that failed (connection refused or reset while the MTA was down or dying). */
  failures: number;
  stop(): Promise<void>;
}

/** CLIENTS workers, each sending one message per connection in a loop, kinds in turn. */
function startLoad(): Load {
  const tried = new Map<number, Kind>();
  const acked = new Map<number, Kind>();
  const kinds = Object.keys(KINDS) as Kind[];
  let seq = 0;
  let running = true;
  const load: Load = {
    tried,
    acked,
    failures: 0,
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
  const worker = async (w: number) => {
    for (let i = w; running; i++) {
      const n = ++seq;
      const kind = kinds[i % kinds.length]!;
      const { port, to } = KINDS[kind];
      const submission = port === "submission";
      const transport = nodemailer.createTransport({
        host: "127.0.0.1",
        port: ports[port],
        name: "client.crash.test",
        requireTLS: submission,
        ignoreTLS: !submission,
        tls: { ca, servername: "mail.example.test" },
        connectionTimeout: 5000,
        greetingTimeout: 5000,
        socketTimeout: 10_000,
        ...(submission ? { auth: { user: "alice@example.test", pass: PASSWORD } } : {}),
      });
      tried.set(n, kind);
      try {
        await transport.sendMail({
          envelope: {
            from: submission ? "alice@example.test" : "someone@remote.test",
            to: [...to],
          },
          from: submission ? "alice@example.test" : "someone@remote.test",
          to: [...to],
          subject: `crash ${n}`,
          messageId: `<crash-${n}@client.crash.test>`,
          headers: { "X-Seq": String(n) },
          text: `message ${n} (${kind})`,
        });
        acked.set(n, kind);
      } catch {
        load.failures++;
        await sleep(100); // the MTA is down or restarting: do not spin
      } finally {
        transport.close();
      }
    }
  };
  const workers = Array.from({ length: CLIENTS }, (_, w) => worker(w));
  return load;
}

/** (seq, recipient) -> how many copies a sink received. */
function copies(sink: FakeSmtp): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of sink.messages) {
    const seq = /^X-Seq: (\d+)\r$/m.exec(m.raw.toString())?.[1] ?? "?";
    for (const to of m.to) counts.set(`${seq} ${to}`, (counts.get(`${seq} ${to}`) ?? 0) + 1);
  }
  return counts;
}

async function spooled(): Promise<number> {
  return (await readdir(join(spoolDir, "messages")).catch(() => [])).length;
}

describe("the MTA process under kill -9", () => {
  it("delivers every acknowledged message: local ones exactly once, remote ones within the window", async (t) => {
    let mta: MtaProcess = await startMtaProcess(configPath);
    const load = startLoad();
    let restarts = 0;
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        const before = load.acked.size;
        // Let some mail through first, so each kill falls in the middle of a load.
        await waitFor(
          `mail acknowledged (${mta.output()})`,
          () => load.acked.size > before + 10,
          60_000,
        );
        await sleep(Math.random() * 400);
        await mta.kill();
        await sleep(Math.random() * 200);
        mta = await startMtaProcess(configPath);
        restarts++;
      }
      await waitFor("mail after the last restart", () => load.acked.size > 0, 60_000);
    } finally {
      await load.stop();
    }

    // The last MTA delivers what is left in its queue.
    const localCopies = () => copies(mda);
    const remoteCopies = () => copies(remote);
    const expectRemote = [...load.acked].flatMap(([n, kind]) =>
      KINDS[kind].to.filter((a) => a.endsWith("@remote.test")).map((a) => `${n} ${a}`),
    );
    await waitFor(
      `the queue to drain (${mta.output()})`,
      async () => (await spooled()) === 0 && expectRemote.every((k) => remoteCopies().has(k)),
      60_000,
    );
    assert.equal(await mta.stop(), 0, mta.output());

    const local = localCopies();
    const far = remoteCopies();
    for (const [n, kind] of load.acked) {
      for (const to of KINDS[kind].to) {
        const key = `${n} ${to}`;
        if (to.endsWith("@example.test")) {
          assert.equal(
            local.get(key),
            1,
            `${kind} message ${n} to ${to}: ${local.get(key)} copies`,
          );
        } else {
          assert.ok(
            (far.get(key) ?? 0) >= 1,
            `acknowledged ${kind} message ${n} to ${to} was lost`,
          );
        }
      }
    }
    // Counted per transaction (one message to one@ and two@ is one transaction).
    const transactions = new Map<string, number>();
    for (const m of remote.messages) {
      const seq = /^X-Seq: (\d+)\r$/m.exec(m.raw.toString())?.[1] ?? "?";
      transactions.set(seq, (transactions.get(seq) ?? 0) + 1);
    }
    const duplicates = [...transactions.values()].reduce((sum, c) => sum + c - 1, 0);
    // Messages without a 250 may have arrived (the kill fell between delivery and the reply),
    // but only messages a client sent, and a local one at most once.
    for (const [key, count] of [...local, ...far]) {
      const n = Number(key.split(" ")[0]);
      assert.ok(load.tried.has(n), `a sink received message ${key} that nobody sent`);
      if (key.endsWith("@example.test")) assert.equal(count, 1, `${key}: ${count} copies`);
    }
    // The window: the queue's transactions in flight at each kill (one destination, remote.test).
    const perKill = queueConfigSchema.parse({
      spoolDir: "x",
      hostname: "x",
    }).perDestinationConcurrency;
    const summary = {
      restarts,
      tried: load.tried.size,
      acked: load.acked.size,
      failedSends: load.failures,
      lmtpCopies: mda.messages.length,
      remoteCopies: remote.messages.length,
      remoteDuplicates: duplicates,
    };
    t.diagnostic(JSON.stringify(summary));
    assert.ok(duplicates <= restarts * perKill, JSON.stringify(summary));
    for (const kind of Object.keys(KINDS) as Kind[]) {
      assert.ok(
        [...load.acked.values()].includes(kind),
        `no ${kind} message was acknowledged: ${JSON.stringify(summary)}`,
      );
    }
  });
});
