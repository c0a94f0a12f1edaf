/**
 * Test support for the MTA: a whole small system on loopback in one process, all of it real:
 * a file directory, a local CA and certificate, DKIM keys on disk, the store with the MDA on a
 * Unix socket, the queue (servers/mta/queue, not started: it stores, delivers nothing), and the
 * MTA with its three listeners on free ports.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dkimPublicKeyValue, dkimTxtValue } from "../../../components/dkim/public-key.ts";
import { openFileDirectory } from "../../shared/directory/file-directory.ts";
import { hashPassword } from "../../shared/directory/passwords.ts";
import { DirectoryUnavailableError, type Directory } from "../../shared/directory/types.ts";
import type { RunningServer } from "../../shared/lifecycle.ts";
import { createLogger, type Logger } from "../../shared/log.ts";
import { ensureLocalCa, issueServerCertificate } from "../../shared/tls/local-ca.ts";
import { loadTlsMaterial } from "../../shared/tls/tls-material.ts";
import { mdaConfigSchema } from "../../mda/config.ts";
import { startMda } from "../../mda/server.ts";
import { openMailStore, type MailStore } from "../../store/index.ts";
import { mtaConfigSchema, type MtaConfig, type MtaConfigInput } from "../config.ts";
import { DkimKeyring } from "../dkim/keys.ts";
import { openQueue, queueConfigSchema, type QueueService } from "../queue/index.ts";
import type { EnqueueInput, Queue } from "../queue/types.ts";
import { startMta } from "../server.ts";
import { readSrsKeys } from "../srs.ts";

export const DOMAINS = ["example.test", "other.test"];
export const PASSWORD = "correct horse battery staple";

export interface HarnessOptions {
  /** Start the MDA. Default true; false leaves its socket path dead (MDA down). */
  readonly mda?: boolean;
  readonly spam?: MtaConfigInput["spam"];
  readonly limits?: MtaConfigInput["limits"];
  /** Which DKIM keys example.test signs with. Default "dual". */
  readonly dkim?: "rsa" | "dual" | "none";
  /** Make enqueue fail (a full disk, say). */
  readonly queueFails?: boolean;
  /** Configure SRS (srs.ts) with a secret written to the harness's folder. */
  readonly srs?: boolean;
  /** Receives every log line at trace level (to check what is and is not logged). */
  readonly logTo?: { write(line: string): void };
}

export interface Harness {
  readonly dir: string;
  readonly config: MtaConfig;
  readonly ports: {
    readonly smtp: number;
    readonly submission: number;
    readonly submissions: number;
  };
  readonly caPath: string;
  readonly caCert: string;
  readonly store: MailStore;
  /** Everything the MTA handed to the queue, in order. */
  readonly enqueued: EnqueueInput[];
  /** Toggles a directory outage. */
  directoryDown: boolean;
  /** DNS for mailauth: serves the public keys of the DKIM selectors. */
  readonly resolver: (name: string, type: string) => Promise<string[][]>;
  /** Publishes (or replaces) a TXT record the resolver serves. */
  publish(name: string, value: string): void;
  messages(userId: string, mailbox?: string): Promise<string[]>;
  /** Starts the MDA now (for a harness created with `mda: false`). */
  startMda(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const log: Logger = options.logTo
    ? createLogger("mta-test", { level: "trace", destination: options.logTo })
    : createLogger("mta-test", { level: process.env.TEST_LOG ?? "silent" });
  const dir = await mkdtemp(join(tmpdir(), "mailstack-mta-"));
  const ca = await ensureLocalCa(join(dir, "ca"));
  const cert = await issueServerCertificate(ca, {
    dnsNames: ["mail.example.test", "localhost"],
    ipAddresses: ["127.0.0.1"],
    dir: join(dir, "tls"),
    name: "mta",
  });
  await writeDirectoryFile(join(dir, "directory.json"));
  const fileDirectory = await openFileDirectory({
    path: join(dir, "directory.json"),
    domains: DOMAINS,
    watch: false,
  });
  const txt = new Map<string, string>();
  const dkim = await writeDkimKeys(dir, options.dkim ?? "dual", txt);

  const lmtpPath = join(dir, "lmtp.sock");
  const store = openMailStore({ dataDir: join(dir, "data") });
  let mda: RunningServer | undefined;
  const startOurMda = async () => {
    mda = await startMda(
      mdaConfigSchema.parse({
        hostname: "mail.example.test",
        domains: DOMAINS,
        listen: [{ kind: "unix", path: lmtpPath }],
        dataDir: join(dir, "data"),
        directory: { backend: "file", path: join(dir, "directory.json") },
      }),
      { directory: fileDirectory, store, log },
    );
  };
  if (options.mda ?? true) await startOurMda();

  const config = mtaConfigSchema.parse({
    hostname: "mail.example.test",
    domains: DOMAINS,
    listeners: {
      smtp: { host: "127.0.0.1", port: 0 },
      submission: { host: "127.0.0.1", port: 0 },
      submissions: { host: "127.0.0.1", port: 0 },
    },
    tls: { certPath: cert.certPath, keyPath: cert.keyPath },
    directory: { backend: "file", path: join(dir, "directory.json") },
    lmtp: { kind: "unix", path: lmtpPath },
    ...(options.spam ? { spam: options.spam } : {}),
    limits: { greetingDelayMs: 0, ...options.limits },
    dkim,
    queue: { spoolDir: join(dir, "queue"), hostname: "mail.example.test" },
    ...(options.srs ? { srs: { secretPath: join(dir, "srs-secret") } } : {}),
  });
  if (config.srs) await writeFile(config.srs.secretPath, "# test\ntest-srs-secret-0123456789\n");
  const srs = config.srs ? readSrsKeys(config.srs.secretPath, DOMAINS[0]!) : undefined;
  const queueService: QueueService = await openQueue(queueConfigSchema.parse(config.queue), {
    log,
  });
  const enqueued: EnqueueInput[] = [];
  const queue: Queue = {
    enqueue: async (input) => {
      if (options.queueFails) throw new Error("no space left on device (test)");
      const id = await queueService.queue.enqueue(input);
      enqueued.push(input);
      return id;
    },
  };
  const state = { directoryDown: false };
  const directory: Directory = {
    authenticate: (...args) =>
      state.directoryDown
        ? Promise.resolve({ ok: false, reason: "unavailable" })
        : fileDirectory.authenticate(...args),
    findUser: (address) => fileDirectory.findUser(address),
    changePassword: (...args) => fileDirectory.changePassword(...args),
    searchAddresses: (...args) => fileDirectory.searchAddresses(...args),
    domains: () => fileDirectory.domains(),
    close: () => Promise.resolve(),
    resolve: (address) => {
      if (state.directoryDown) {
        return Promise.reject(new DirectoryUnavailableError("directory down (test)"));
      }
      return fileDirectory.resolve(address);
    },
  };
  const tls = loadTlsMaterial({ certPath: cert.certPath, keyPath: cert.keyPath, watch: false });
  const keyring = new DkimKeyring({ keys: config.dkim, debounceMs: 50 });
  const mta = await startMta(config, {
    directory,
    queue,
    keyring,
    tls,
    log,
    ...(srs ? { srs } : {}),
  });
  const port = (name: string) => mta.endpoints.find((e) => e.name === name)?.port ?? 0;

  return {
    dir,
    config,
    ports: { smtp: port("smtp"), submission: port("submission"), submissions: port("submissions") },
    caPath: ca.caCertPath,
    caCert: ca.caCert,
    store,
    enqueued,
    get directoryDown() {
      return state.directoryDown;
    },
    set directoryDown(value: boolean) {
      state.directoryDown = value;
    },
    publish: (name, value) => void txt.set(name.toLowerCase(), value),
    resolver: (name: string, type: string) => {
      const value = type === "TXT" ? txt.get(name.toLowerCase()) : undefined;
      if (value === undefined) {
        return Promise.reject(
          Object.assign(new Error(`no ${type} for ${name}`), { code: "ENOTFOUND" }),
        );
      }
      return Promise.resolve([[value]]);
    },
    async messages(userId, mailbox = "INBOX") {
      const account = await store.openAccount(userId);
      try {
        const view = await account.openMailbox(mailbox);
        const list = await view.list();
        return await Promise.all(
          list.map(async (m) =>
            Buffer.from((await view.read(m.uid)) ?? new Uint8Array()).toString("utf8"),
          ),
        );
      } finally {
        await account.close();
      }
    },
    startMda: startOurMda,
    async stop() {
      await mta.stop();
      await mda?.stop();
      await queueService.stop();
      keyring.close();
      tls.close();
      await store.close();
      await fileDirectory.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function writeDirectoryFile(path: string): Promise<void> {
  const passwordHash = await hashPassword(PASSWORD);
  const user = (address: string, name: string, quotaBytes?: number) => ({
    address,
    name,
    passwordHash,
    ...(quotaBytes === undefined ? {} : { quotaBytes }),
  });
  await writeFile(
    path,
    JSON.stringify({
      users: [
        user("alice@example.test", "Alice"),
        user("bob@example.test", "Bob"),
        user("tiny@example.test", "Tiny", 3000),
        user("victim@example.test", "Victim"),
        user("carol@other.test", "Carol"),
      ],
      aliases: [
        { address: "postmaster@example.test", to: "alice@example.test" },
        { address: "sales@example.test", to: "alice@example.test" },
      ],
      groups: [
        {
          address: "team@example.test",
          members: ["alice@example.test", "bob@example.test", "friend@remote.test"],
        },
        { address: "board@example.test", members: ["bob@example.test"] },
      ],
      catchAll: [{ domain: "other.test", to: "carol@other.test" }],
    }),
  );
}

/** Keys for example.test (and an RSA one for other.test), with their TXT records. */
async function writeDkimKeys(
  dir: string,
  which: "rsa" | "dual" | "none",
  txt: Map<string, string>,
): Promise<MtaConfigInput["dkim"]> {
  if (which === "none") return {};
  const key = async (domain: string, selector: string, algorithm: "rsa2048" | "ed25519") => {
    const pair =
      algorithm === "rsa2048"
        ? generateKeyPairSync("rsa", { modulusLength: 2048 })
        : generateKeyPairSync("ed25519");
    const keyPath = join(dir, `${selector}.${domain}.key`);
    await writeFile(keyPath, pair.privateKey.export({ type: "pkcs8", format: "pem" }), {
      mode: 0o600,
    });
    const publicPem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
    txt.set(
      `${selector}._domainkey.${domain}`,
      dkimTxtValue(algorithm, dkimPublicKeyValue(publicPem, algorithm)),
    );
    return { selector, algorithm, keyPath };
  };
  const example = [await key("example.test", "rsa1", "rsa2048")];
  if (which === "dual") example.push(await key("example.test", "ed1", "ed25519"));
  return { "example.test": example, "other.test": [await key("other.test", "rsa1", "rsa2048")] };
}

/** A new key for a selector, in place (a rotation done by replacing the file), with its record. */
export async function replaceDkimKey(
  harness: Harness,
  domain: string,
  selector: string,
): Promise<void> {
  const entry = harness.config.dkim[domain]?.find((k) => k.selector === selector);
  if (!entry) throw new Error(`no key ${selector} for ${domain}`);
  const pair =
    entry.algorithm === "rsa2048"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ed25519");
  const tmp = `${entry.keyPath}.new`;
  await writeFile(tmp, pair.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  await rename(tmp, entry.keyPath);
  const publicPem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
  harness.publish(
    `${selector}._domainkey.${domain}`,
    dkimTxtValue(entry.algorithm, dkimPublicKeyValue(publicPem, entry.algorithm)),
  );
}
