/**
 * A data directory filled through the store library with what is hard to carry (nested and
 * non-ASCII folder names, special-use roles, subscriptions with and without a mailbox, more
 * keywords than Maildir has letters, mbox "From " traps, a message of several body chunks),
 * plus the data files a backup must bring back; and a full picture of an account to compare.
 */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqliteMailStore } from "../../../servers/store/sqlite/sqlite-store.ts";
import { message } from "../../../servers/store/testing/fixtures.ts";
import type { Account } from "../../../servers/store/types.ts";

export const ALICE = "alice@example.test";
export const BOB = "bob@example.test";

/** Every message of an account with its bytes, flags and dates, folders, roles, subscriptions. */
export async function picture(account: Account) {
  const mailboxes: Record<string, unknown> = {};
  for (const box of await account.listMailboxes()) {
    const view = await account.openMailbox(box.id);
    const messages = await Promise.all(
      (await view.list()).map(async (m) => ({
        uid: m.uid,
        sha: Buffer.from((await view.read(m.uid)) ?? []).toString("base64"),
        flags: [...m.flags].sort(),
        date: m.internalDate,
      })),
    );
    mailboxes[box.name] = { specialUse: box.specialUse, subscribed: box.subscribed, messages };
  }
  return { mailboxes, subscriptions: await account.listSubscriptions() };
}

/** The same, without UIDs: an import appends, so UIDs start again at 1 in new mailboxes. */
export async function pictureWithoutUids(account: Account) {
  const whole = await picture(account);
  const mailboxes = Object.fromEntries(
    Object.entries(whole.mailboxes).map(([name, box]) => {
      const { messages, ...rest } = box as { messages: { uid: number }[] };
      return [name, { ...rest, messages: messages.map(({ uid: _uid, ...m }) => m) }];
    }),
  );
  return { ...whole, mailboxes };
}

export async function fillAccount(account: Account): Promise<void> {
  await account.createMailbox("Work/Reports.2024");
  await account.createMailbox("Entwürfe & Ideen");
  await account.mailboxByRole("\\Archive");
  await account.setSubscribed("Work/Reports.2024", true);
  await account.setSubscribed("Shared/Gone", true); // subscribed, no such mailbox
  await account.append("INBOX", message({ subject: "plain" }), {
    flags: ["\\Seen", "\\Answered", "$Forwarded", "Work"],
    internalDate: { time: Date.UTC(2023, 4, 6, 7, 8, 9, 0), zoneMinutes: 330 },
  });
  await account.append(
    "INBOX",
    message({
      subject: "mbox traps",
      body: "From here on\r\n>From quoted\r\n>>From twice\r\nFrom",
    }),
    { flags: ["\\Flagged", "\\Draft", "\\Deleted"] },
  );
  await account.append("INBOX", Buffer.from("Subject: no final newline\r\n\r\nlast line"));
  // Bytes of every value, over several 256 KiB chunks.
  const big = Buffer.alloc(700_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 256;
  const header = Buffer.from("Subject: binary\r\nContent-Type: application/octet-stream\r\n\r\n");
  await account.append("Archive", Buffer.concat([header, big]), { flags: ["\\Seen"] });
  await account.append("Work/Reports.2024", message({ subject: "many keywords" }), {
    flags: Array.from({ length: 30 }, (_, i) => `$Kw${i}`),
  });
  await account.append("Entwürfe & Ideen", message({ subject: "Grüße" }));
}

/** Two users with mail, in a new data directory. */
export async function fillDataDir(dataDir: string): Promise<void> {
  const store = new SqliteMailStore({ dataDir });
  try {
    const alice = await store.openAccount(ALICE);
    await fillAccount(alice);
    const bob = await store.openAccount(BOB);
    await bob.append("INBOX", message({ subject: "for bob" }), { flags: ["\\Seen"] });
    await Promise.all([alice.close(), bob.close()]);
  } finally {
    await store.close();
  }
}

/** The file directory the runner writes (`<dataDir>/directory.json`), with these users. */
export async function writeDirectoryJson(
  dataDir: string,
  users: readonly string[],
  aliases: readonly { address: string; to: string }[] = [],
): Promise<void> {
  // A well-formed hash; nobody logs in here.
  const passwordHash = `$2b$12$${"a".repeat(53)}`;
  const data = {
    users: users.map((address) => ({ address, name: address, passwordHash })),
    aliases,
  };
  await mkdir(dataDir, { recursive: true });
  await writeFile(join(dataDir, "directory.json"), JSON.stringify(data));
}

export const QUEUE_ID = "mhx2k0a1b2c3d4e5f6";

/** The files besides mail that a backup carries (contents stand in for the real formats). */
export const DATA_FILES: Record<string, { data: string; mode: number }> = {
  "ca/ca.pem": { data: "-----BEGIN CERTIFICATE-----\nlocal CA\n", mode: 0o644 },
  "ca/ca-key.pem": { data: "-----BEGIN PRIVATE KEY-----\nCA key\n", mode: 0o600 },
  "dkim/example.test/local.key": { data: "-----BEGIN PRIVATE KEY-----\ndkim\n", mode: 0o600 },
  "generated-passwords.json": { data: '{ "demo@example.test": "$argon2id$..." }\n', mode: 0o600 },
  [`queue/messages/${QUEUE_ID}.msg`]: {
    data: '{"from":"a@example.test"}\nSubject: q\r\n',
    mode: 0o600,
  },
  [`queue/state/${QUEUE_ID}.json`]: { data: '{"recipients":[]}\n', mode: 0o600 },
};

export async function writeDataFiles(dataDir: string): Promise<void> {
  for (const [path, { data, mode }] of Object.entries(DATA_FILES)) {
    await mkdir(dirname(join(dataDir, path)), { recursive: true });
    await writeFile(join(dataDir, path), data, { mode });
  }
  // Files a backup leaves out: the runner rebuilds them.
  await mkdir(join(dataDir, "tls"), { recursive: true });
  await writeFile(join(dataDir, "tls", "server.pem"), "reissued on start\n");
  await writeFile(join(dataDir, "directory.json"), "{}\n");
  // The spam filter's database, in WAL mode as the spam service keeps it.
  await mkdir(join(dataDir, "spam"), { recursive: true });
  const db = new DatabaseSync(join(dataDir, "spam", "spam.sqlite"));
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("CREATE TABLE tokens (token TEXT PRIMARY KEY, spam INTEGER, ham INTEGER)");
  db.prepare("INSERT INTO tokens VALUES (?, ?, ?)").run("viagra", 12, 0);
  db.close();
}

/** Path -> contents and mode of every data file present in `dataDir`. */
export async function readDataFilesOf(dataDir: string) {
  const out: Record<string, { data: string; mode: number } | undefined> = {};
  for (const path of Object.keys(DATA_FILES)) {
    const file = join(dataDir, path);
    const found = await stat(file).catch(() => undefined);
    out[path] = found && { data: await readFile(file, "utf8"), mode: found.mode & 0o777 };
  }
  return out;
}

export function spamTokens(dataDir: string): unknown[] {
  const db = new DatabaseSync(join(dataDir, "spam", "spam.sqlite"), { readOnly: true });
  try {
    return db
      .prepare("SELECT token, spam, ham FROM tokens")
      .all()
      .map((row) => ({ ...row }));
  } finally {
    db.close();
  }
}
