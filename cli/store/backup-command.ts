/**
 * `mailstack backup --out DIR`: a consistent snapshot of a data directory, taken while the
 * servers run. What it holds is in data-files.ts (CA, DKIM keys, generated passwords, spam
 * learning, queue) and servers/store/sqlite/backup.ts (every user's mail store, one consistent
 * snapshot per user; users are independent).
 *
 * Order matters: the queue is copied before the mail. A message that leaves the queue for a
 * local mailbox in between is then in both (a restore may deliver it twice) rather than in
 * neither. The store's manifest.json is written last: a backup without one is incomplete.
 */
import { mkdir, readdir, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { backupStore } from "../../servers/store/sqlite/backup.ts";
import { backupDataFiles, type DataFile } from "./data-files.ts";
import {
  CommandError,
  EXIT,
  LOCATION_OPTIONS,
  locate,
  parseOptions,
  required,
  type Io,
} from "./store-options.ts";

export const BACKUP_USAGE = `Usage: mailstack backup --out DIR [--data-dir DIR | --config FILE] [--json]

  Writes a consistent snapshot of the data directory into DIR (new or empty), safe while the
  servers run: every user's mail with flags, keywords, folders and subscriptions; the local CA,
  DKIM keys, generated password hashes, the spam filter's learning, and the mail queue.
  Bring it back with \`mailstack restore --from DIR\`.`;

/** DIR exists afterwards, as an empty directory; anything else there is refused. */
export async function emptyDirectory(path: string, option: string): Promise<void> {
  const found = await stat(path).catch(() => undefined);
  if (found === undefined) {
    await mkdir(path, { recursive: true, mode: 0o700 });
    return;
  }
  if (!found.isDirectory()) {
    throw new CommandError(EXIT.cantCreate, `${option} ${path} exists and is not a directory`);
  }
  if ((await readdir(path)).length > 0) {
    throw new CommandError(
      EXIT.cantCreate,
      `${option} ${path} is not empty; give a new or empty directory`,
    );
  }
}

/** Lines per top-level part: "ca  2 file(s)", "queue  3 message(s)". */
export function describeFiles(files: readonly DataFile[]): string[] {
  const parts = new Map<string, DataFile[]>();
  for (const file of files) {
    const part = file.path.split("/")[0] ?? file.path;
    parts.set(part, [...(parts.get(part) ?? []), file]);
  }
  return [...parts].map(([part, list]) => {
    const bytes = list.reduce((sum, f) => sum + f.bytes, 0);
    const count =
      part === "queue"
        ? `${list.filter((f) => f.path.endsWith(".msg")).length} message(s)`
        : `${list.length} file(s)`;
    return `  ${part.padEnd(26)} ${count}, ${bytes} bytes`;
  });
}

export async function backupCommand(argv: readonly string[], io: Io): Promise<number> {
  const values = parseOptions(argv, { ...LOCATION_OPTIONS, out: { type: "string" } });
  const out = resolve(required(values.out, "--out", "DIR"));
  const { dataDir } = await locate(values);
  if (!(await stat(dataDir).catch(() => undefined))?.isDirectory()) {
    throw new CommandError(EXIT.noInput, `no data directory at ${dataDir}`);
  }
  await emptyDirectory(out, "--out");
  const files = await backupDataFiles(dataDir, out);
  const manifest = await backupStore(dataDir, out);
  const messages = manifest.accounts.reduce((sum, a) => sum + a.messages, 0);
  const bytes = manifest.accounts.reduce(
    (sum, a) => sum + a.bytes + (a.bodyFiles ?? []).reduce((n, f) => n + f.bytes, 0),
    0,
  );
  if (values.json) {
    const report = { dataDir, out, created: manifest.created, accounts: manifest.accounts, files };
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const lines = [
      `Backup of ${dataDir} written to ${out} (${manifest.created}):`,
      `  ${"mail".padEnd(26)} ${manifest.accounts.length} account(s), ${messages} message(s), ${bytes} bytes`,
      ...describeFiles(files),
    ];
    io.stdout.write(`${lines.join("\n")}\n`);
  }
  return EXIT.ok;
}
