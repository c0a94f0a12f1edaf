/**
 * Test support: a temporary store and file directory with a few users, and sessions driven in
 * memory through the session core (no socket), for transcript tests of every command.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { openFileDirectory } from "../../shared/directory/file-directory.ts";
import { hashPassword } from "../../shared/directory/passwords.ts";
import type { Directory } from "../../shared/directory/types.ts";
import { createLogger } from "../../shared/log.ts";
import { openMailStore, type Account, type MailStore } from "../../store/index.ts";
import type { ImapServices, SessionSettings } from "../session/command.ts";
import { REGISTRY } from "../session/registry.ts";
import { ImapSession } from "../session/session.ts";
import type { Transport } from "../session/transport.ts";
import type { SpamLearner } from "../spam-learn.ts";
import { LineBuffer } from "./line-buffer.ts";
import { transcript, type Channel } from "./transcript.ts";

export const PASSWORD = "correct horse";
export const USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];

export interface TestEnv {
  readonly dir: string;
  readonly dataDir: string;
  readonly directoryPath: string;
  readonly store: MailStore;
  readonly directory: Directory;
  readonly services: ImapServices;
  close(): Promise<void>;
}

/** A fresh store and directory; call `close()` when done (in an `after` hook). */
export async function createEnv(options: { spam?: SpamLearner } = {}): Promise<TestEnv> {
  const dir = await mkdtemp(join(tmpdir(), "mailstack-imap-"));
  const hash = await hashPassword(PASSWORD);
  const directoryPath = join(dir, "directory.json");
  await writeFile(
    directoryPath,
    JSON.stringify({
      users: [
        ...USERS.map((u) => ({ address: `${u}@example.test`, name: u, passwordHash: hash })),
        { address: "tiny@example.test", name: "Tiny", passwordHash: hash, quotaBytes: 4096 },
      ],
    }),
  );
  const directory = await openFileDirectory({
    path: directoryPath,
    domains: ["example.test"],
    watch: false,
    failureFloorMs: 5,
  });
  const dataDir = join(dir, "data");
  const store = openMailStore({ dataDir, pollIntervalMs: 50 });
  const services: ImapServices = {
    directory,
    store,
    log: createLogger("imap-test", { level: process.env.IMAP_TEST_LOG ?? "silent" }),
    spam: options.spam,
  };
  const close = async () => {
    await store.close();
    await directory.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { dir, dataDir, directoryPath, store, directory, services, close };
}

export const TEST_SETTINGS: SessionSettings = {
  hostname: "imap.example.test",
  starttls: false,
  insecureAuth: false,
  unauthenticatedTimeoutMs: 60_000,
  authenticatedTimeoutMs: 30 * 60_000,
  idleKeepaliveMs: 120_000,
};

/** A Transport that records what the session writes. */
export class MemoryTransport implements Transport {
  readonly output = new LineBuffer();
  remoteAddress = "127.0.0.1";
  secure: boolean;
  compressed = false;
  paused = false;
  onClose: (() => void) | undefined;

  constructor(secure: boolean) {
    this.secure = secure;
  }

  write(data: Buffer): boolean {
    if (!this.output.closed) this.output.push(data);
    return true;
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  startTls(): Promise<void> {
    this.secure = true;
    return Promise.resolve();
  }

  startCompression(): void {
    this.compressed = true;
  }

  close(): void {
    if (this.output.closed) return;
    this.output.end();
    queueMicrotask(() => this.onClose?.());
  }
}

/** A session core with its memory transport: write client bytes, read server lines. */
export class SessionClient implements Channel {
  readonly transport: MemoryTransport;
  readonly session: ImapSession;

  constructor(env: TestEnv, settings: Partial<SessionSettings> = {}, secure = true) {
    this.transport = new MemoryTransport(secure);
    this.session = new ImapSession(
      this.transport,
      env.services,
      { ...TEST_SETTINGS, ...settings },
      REGISTRY,
    );
    this.transport.onClose = () => this.session.ended();
  }

  get output(): LineBuffer {
    return this.transport.output;
  }

  write(data: string | Buffer): void {
    this.session.receive(typeof data === "string" ? Buffer.from(data, "utf8") : data);
  }

  /** Runs a transcript (see transcript.ts). */
  run(script: string, options?: { rest?: "empty" | "any" }): Promise<void> {
    return transcript(this, script, options);
  }

  /** Sends a command and returns every line up to and including its tagged reply. */
  async command(line: string): Promise<string[]> {
    const tag = line.split(" ")[0] as string;
    this.write(`${line}\r\n`);
    const lines: string[] = [];
    for (;;) {
      const got = await this.output.nextLine();
      lines.push(got);
      if (got.startsWith(`${tag} `)) return lines;
    }
  }

  end(): void {
    this.transport.close();
  }
}

/** A session past the greeting, logged in as `user` (and with `mailbox` selected). */
export async function loggedIn(
  t: { after: TestContext["after"] },
  env: TestEnv,
  user: string,
  mailbox?: string,
): Promise<SessionClient> {
  const client = new SessionClient(env);
  t.after(() => client.end());
  client.session.start();
  await client.output.nextLine();
  const login = await client.command(`l1 LOGIN ${user}@example.test "${PASSWORD}"`);
  if (!login.at(-1)?.startsWith("l1 OK")) throw new Error(`login failed: ${login.join("\n")}`);
  if (mailbox) {
    const select = await client.command(`s1 SELECT ${mailbox}`);
    if (!select.at(-1)?.startsWith("s1 OK")) throw new Error(`select failed: ${select.join("\n")}`);
  }
  return client;
}

export async function account(env: TestEnv, user: string): Promise<Account> {
  return env.store.openAccount(`${user}@example.test`);
}

/** A CRLF message. */
export function message(
  spec: {
    from?: string;
    to?: string;
    subject?: string;
    date?: string;
    messageId?: string;
    headers?: string[];
    body?: string;
  } = {},
): Buffer {
  const lines = [
    `From: ${spec.from ?? "Bob <bob@example.org>"}`,
    `To: ${spec.to ?? "Alice <alice@example.test>"}`,
    `Subject: ${spec.subject ?? "Hello"}`,
    `Date: ${spec.date ?? "Mon, 7 Feb 2022 21:52:25 -0800"}`,
    `Message-ID: <${spec.messageId ?? `${Math.random().toString(36).slice(2)}@example.org`}>`,
    ...(spec.headers ?? []),
    "",
    spec.body ?? "Hello Alice.",
  ];
  return Buffer.from(`${lines.join("\r\n")}\r\n`);
}

/** Appends messages directly through the store; resolves with their UIDs. */
export async function seed(
  env: TestEnv,
  user: string,
  mailbox: string,
  messages: readonly (Buffer | { raw: Buffer; flags?: string[]; date?: Date })[],
): Promise<number[]> {
  const acct = await account(env, user);
  try {
    const uids: number[] = [];
    for (const m of messages) {
      const { raw, flags, date } = Buffer.isBuffer(m)
        ? { raw: m, flags: undefined, date: undefined }
        : m;
      const result = await acct.append(mailbox, raw, {
        ...(flags ? { flags } : {}),
        ...(date ? { internalDate: date } : {}),
      });
      if (!result.duplicate) uids.push(result.uid);
    }
    return uids;
  } finally {
    await acct.close();
  }
}
