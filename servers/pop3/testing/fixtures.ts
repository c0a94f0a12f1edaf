/**
 * What the POP3 tests share: a temporary directory with a file directory of users, a real
 * store, a local CA with a server certificate, and helpers to put mail in and read it back.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFileDirectory } from "../../shared/directory/file-directory.ts";
import { hashPassword } from "../../shared/directory/passwords.ts";
import type { Directory } from "../../shared/directory/types.ts";
import { createLogger } from "../../shared/log.ts";
import { ensureLocalCa, issueServerCertificate } from "../../shared/tls/local-ca.ts";
import { openMailStore, type MailStore } from "../../store/index.ts";
import type { SessionDependencies } from "../command.ts";
import { pop3ConfigSchema, type Pop3Config } from "../config.ts";
import { MaildropLocks } from "../maildrop.ts";

export const DOMAINS = ["example.test"];
export const USERS = {
  alice: { address: "alice@example.test", password: "alice secret 1" },
  bob: { address: "bob@example.test", password: "bob-secret-2" },
  carol: { address: "carol@example.test", password: "carol-secret-3" },
  dave: { address: "dave@example.test", password: "dave-secret-4" },
  erin: { address: "erin@example.test", password: "erin-secret-5" },
} as const;

export const log = createLogger("pop3-test", { level: process.env.LOG_LEVEL ?? "silent" });

export interface Fixture {
  readonly dir: string;
  readonly directory: Directory;
  readonly store: MailStore;
  readonly locks: MaildropLocks;
  readonly deps: SessionDependencies;
  readonly tls: { readonly certPath: string; readonly keyPath: string };
  /** The CA certificate (PEM) clients trust. */
  readonly ca: string;
  readonly caPath: string;
  /** A config for startPop3 with both listeners on free loopback ports. */
  config(overrides?: Partial<Record<keyof Pop3Config, unknown>>): Pop3Config;
  deliver(user: string, raw: string | Uint8Array): Promise<number>;
  /** The raw messages of the user's INBOX (latin1), in UID order. */
  inbox(user: string): Promise<{ uid: number; flags: readonly string[]; text: string }[]>;
  close(): Promise<void>;
}

export async function createFixture(
  options: { failureFloorMs?: number; maxFailuresPerLogin?: number } = {},
): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "mailstack-pop3-"));
  const directoryPath = join(dir, "directory.json");
  const users = await Promise.all(
    Object.values(USERS).map(async (u) => ({
      address: u.address,
      name: u.address.split("@")[0] ?? "user",
      passwordHash: await hashPassword(u.password),
    })),
  );
  await writeFile(directoryPath, JSON.stringify({ users }));
  const directory = await openFileDirectory({
    path: directoryPath,
    domains: DOMAINS,
    watch: false,
    failureFloorMs: options.failureFloorMs ?? 20,
    throttle: { maxFailuresPerLogin: options.maxFailuresPerLogin ?? 5, maxFailuresPerAddress: 50 },
  });
  const dataDir = join(dir, "data");
  const store = openMailStore({ dataDir });
  const ca = await ensureLocalCa(join(dir, "ca"), { hostname: "pop3-test" });
  const certificate = await issueServerCertificate(ca, {
    dnsNames: ["localhost", "mail.example.test"],
    ipAddresses: ["127.0.0.1"],
    dir: join(dir, "tls"),
    name: "pop3",
  });
  const locks = new MaildropLocks();
  const tls = { certPath: certificate.certPath, keyPath: certificate.keyPath };

  return {
    dir,
    directory,
    store,
    locks,
    deps: { hostname: "mail.example.test", directory, store, locks, log },
    tls,
    ca: await readFile(ca.caCertPath, "utf8"),
    caPath: ca.caCertPath,
    config: (overrides = {}) =>
      pop3ConfigSchema.parse({
        hostname: "mail.example.test",
        domains: DOMAINS,
        listen: [
          { host: "127.0.0.1", port: 0, tls: "starttls" },
          { host: "127.0.0.1", port: 0, tls: "implicit" },
        ],
        tls,
        dataDir,
        directory: { backend: "file", path: directoryPath },
        ...overrides,
      }),
    async deliver(user, raw) {
      const account = await store.openAccount(user);
      try {
        const bytes = typeof raw === "string" ? Buffer.from(raw, "latin1") : raw;
        const result = await account.append("INBOX", bytes);
        if (result.duplicate) throw new Error("unexpected duplicate");
        return result.uid;
      } finally {
        await account.close();
      }
    },
    async inbox(user) {
      const account = await store.openAccount(user);
      try {
        const view = await account.openMailbox("INBOX");
        const list = await view.list();
        return Promise.all(
          list.map(async (m) => ({
            uid: m.uid,
            flags: m.flags,
            text: Buffer.from((await view.read(m.uid)) ?? new Uint8Array()).toString("latin1"),
          })),
        );
      } finally {
        await account.close();
      }
    },
    async close() {
      await store.close();
      await directory.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A small CRLF message. */
export function message(id: string, body = `Body of ${id}.`, extraHeaders = ""): string {
  return (
    `From: Sender <sender@remote.test>\r\nTo: someone@example.test\r\nSubject: ${id}\r\n` +
    `Message-ID: <${id}@remote.test>\r\n${extraHeaders}\r\n${body}\r\n`
  );
}
