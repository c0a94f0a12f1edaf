/**
 * `mailstack export` / `import`: one user's mail as a Maildir++ tree or as mbox files, through
 * the store library (servers/store/transfer). Both work while the servers run: the store takes
 * writers from several processes, and IMAP sessions see imported mail as new deliveries.
 *
 * Export then import gives back every message byte for byte with its flags, keywords,
 * INTERNALDATE, folders, special-use roles and subscriptions. Import appends: importing the
 * same export twice gives every message twice.
 */
import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { isStoreError } from "../../servers/store/errors.ts";
import { SqliteMailStore } from "../../servers/store/sqlite/sqlite-store.ts";
import { exportMaildir, importMaildir } from "../../servers/store/transfer/maildir.ts";
import { exportMbox, importMbox } from "../../servers/store/transfer/mbox.ts";
import { emptyDirectory } from "./backup-command.ts";
import { resolveUser, type ResolvedUser } from "./resolve-user.ts";
import {
  CommandError,
  EXIT,
  LOCATION_OPTIONS,
  locate,
  parseOptions,
  required,
  usageError,
  type Io,
  type Location,
} from "./store-options.ts";

export const FORMATS = ["maildir", "mbox"] as const;
export type Format = (typeof FORMATS)[number];

const COMMON = `  --user     the user's address (or an alias), as the directory knows it; or the store's
             account id of mail kept for a user the directory no longer has
  --format   maildir: a Maildir++ tree (INBOX at the top, other folders as .Name.Sub)
             mbox:    one NAME.mbox file per mailbox (mboxrd), Work/Reports.mbox for Work/Reports`;

export const EXPORT_USAGE = `Usage: mailstack export --user ADDRESS --format maildir|mbox --out DIR
         [--data-dir DIR | --config FILE] [--json]

  Writes the user's mail into DIR (new or empty).
${COMMON}`;

export const IMPORT_USAGE = `Usage: mailstack import --user ADDRESS --format maildir|mbox --from DIR
         [--data-dir DIR | --config FILE] [--json]

  Adds the mail in DIR to the user's mailboxes, creating the folders it names.
${COMMON}`;

const TRANSFER_OPTIONS = {
  ...LOCATION_OPTIONS,
  user: { type: "string" },
  format: { type: "string" },
} as const;

function formatOf(value: string | undefined): Format {
  const format = FORMATS.find((f) => f === value);
  if (format !== undefined) return format;
  if (value === undefined) throw usageError("--format maildir|mbox is required");
  throw usageError(`--format must be maildir or mbox, not "${value}"`);
}

async function findUser(
  name: string,
  location: Location,
  store: SqliteMailStore,
): Promise<{ user: ResolvedUser | undefined; stored: readonly string[]; notFound: string }> {
  const stored = await store.listAccounts();
  const { user, miss } = await resolveUser(name, location, stored);
  const notFound = `${name}: ${miss}, and no mail stored under that id in ${location.dataDir}`;
  return { user, stored, notFound };
}

async function bytesUnder(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

function report(io: Io, json: boolean | undefined, text: string, data: unknown): void {
  io.stdout.write(`${json ? JSON.stringify(data, null, 2) : text}\n`);
}

export async function exportCommand(argv: readonly string[], io: Io): Promise<number> {
  const values = parseOptions(argv, { ...TRANSFER_OPTIONS, out: { type: "string" } });
  const name = required(values.user, "--user", "ADDRESS");
  const format = formatOf(values.format);
  const out = resolve(required(values.out, "--out", "DIR"));
  const location = await locate(values);
  const store = new SqliteMailStore({ dataDir: location.dataDir });
  try {
    const { user, stored, notFound } = await findUser(name, location, store);
    if (user === undefined) throw new CommandError(EXIT.noUser, notFound);
    if (!stored.includes(user.id)) {
      const message = `${name} (account ${user.id}) has no mail stored in ${location.dataDir}`;
      throw new CommandError(EXIT.noUser, message);
    }
    await emptyDirectory(out, "--out");
    const account = await store.openAccount(user.id);
    try {
      const result =
        format === "maildir" ? await exportMaildir(account, out) : await exportMbox(account, out);
      const bytes = await bytesUnder(out);
      report(
        io,
        values.json,
        `Exported ${user.id} as ${format} to ${out}: ${result.mailboxes} mailbox(es), ${result.messages} message(s), ${bytes} bytes written.`,
        { user: user.id, format, out, ...result, bytes },
      );
    } finally {
      await account.close();
    }
  } finally {
    await store.close();
  }
  return EXIT.ok;
}

/** Refuses a source the importer would find nothing in, saying what it looked for. */
async function checkSource(from: string, format: Format): Promise<void> {
  const found = await stat(from).catch(() => undefined);
  if (found === undefined) throw new CommandError(EXIT.noInput, `--from ${from} does not exist`);
  if (!found.isDirectory()) {
    const hint =
      format === "mbox"
        ? " (put the mbox file in a folder and name it NAME.mbox: NAME becomes the mailbox)"
        : "";
    throw new CommandError(EXIT.dataErr, `--from ${from} is not a directory${hint}`);
  }
  const entries = await readdir(from, { withFileTypes: true, recursive: format === "mbox" });
  const isDir = (path: string) =>
    stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    );
  if (format === "mbox") {
    if (!entries.some((e) => e.isFile() && e.name.endsWith(".mbox"))) {
      throw new CommandError(EXIT.dataErr, `no *.mbox file under ${from}`);
    }
    return;
  }
  if (await isDir(join(from, "cur"))) return;
  for (const e of entries) {
    if (e.isDirectory() && e.name.startsWith(".") && (await isDir(join(from, e.name, "cur"))))
      return;
  }
  throw new CommandError(
    EXIT.dataErr,
    `no Maildir in ${from}: expected cur/ and new/ at the top, or .Folder/cur/ folders`,
  );
}

export async function importCommand(argv: readonly string[], io: Io): Promise<number> {
  const values = parseOptions(argv, { ...TRANSFER_OPTIONS, from: { type: "string" } });
  const name = required(values.user, "--user", "ADDRESS");
  const format = formatOf(values.format);
  const from = resolve(required(values.from, "--from", "DIR"));
  const location = await locate(values);
  await checkSource(from, format);
  const store = new SqliteMailStore({ dataDir: location.dataDir });
  try {
    const { user, notFound } = await findUser(name, location, store);
    if (user === undefined) throw new CommandError(EXIT.noUser, notFound);
    const account = await store.openAccount(user.id);
    try {
      const before = await account.quota();
      let result;
      try {
        result =
          format === "maildir"
            ? await importMaildir(account, from)
            : await importMbox(account, from);
      } catch (error) {
        if (!isStoreError(error, "OVERQUOTA")) throw error;
        const now = await account.quota();
        throw new CommandError(
          EXIT.failed,
          `${user.id} is over quota (${now.storageBytes} of ${now.storageLimit} bytes) after ` +
            `${now.messages - before.messages} message(s); the rest was not imported`,
        );
      }
      const after = await account.quota();
      report(
        io,
        values.json,
        `Imported ${format} from ${from} into ${user.id}: ${result.mailboxes} mailbox(es), ${result.messages} message(s); ` +
          `the account now holds ${after.messages} message(s), ${after.storageBytes} bytes.`,
        { user: user.id, format, from, ...result, account: after },
      );
    } finally {
      await account.close();
    }
  } finally {
    await store.close();
  }
  return EXIT.ok;
}
