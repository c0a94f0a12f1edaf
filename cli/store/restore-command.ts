/**
 * `mailstack restore --from DIR`: brings a `mailstack backup` back into a data directory, with
 * the system stopped. Checks everything before it writes anything: the backup is complete and
 * its files match their checksums; nothing runs on the data directory; and it replaces no mail
 * or key the data directory already holds unless --force says so. Accounts and files the
 * backup does not have are left alone; the queue is merged (see data-files.ts).
 *
 * Restored mailboxes get new UIDVALIDITYs (servers/store/sqlite/backup.ts), so mail clients
 * drop what they cached and fetch the restored mailboxes again.
 */
import { mkdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  readManifest,
  restoreStore,
  type BackupManifest,
} from "../../servers/store/sqlite/backup.ts";
import { SqliteMailStore } from "../../servers/store/sqlite/sqlite-store.ts";
import { describeFiles } from "./backup-command.ts";
import {
  damagedDataFiles,
  planDataRestore,
  readDataFiles,
  restoreDataFiles,
  type DataFilesManifest,
} from "./data-files.ts";
import { whatRuns } from "./running.ts";
import {
  CommandError,
  EXIT,
  LOCATION_OPTIONS,
  locate,
  parseOptions,
  required,
  type Io,
} from "./store-options.ts";

export const RESTORE_USAGE = `Usage: mailstack restore --from DIR [--data-dir DIR | --config FILE] [--force] [--no-queue] [--json]

  Restores a backup made by \`mailstack backup\` into the data directory. Stop mailstack first.
  --force     replace the mail of accounts, and the keys and files, that the data directory
              already has (without it, the restore refuses and names them)
  --no-queue  leave the mail queue out (its messages may have been delivered since the backup)`;

async function readBackup(from: string): Promise<{
  manifest: BackupManifest;
  dataFiles: DataFilesManifest | undefined;
}> {
  let manifest: BackupManifest;
  try {
    manifest = await readManifest(from);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new CommandError(
        EXIT.noInput,
        `no backup in ${from}: manifest.json is missing (not a backup, or one that did not finish)`,
      );
    }
    throw new CommandError(EXIT.dataErr, `${from}: ${(error as Error).message}`);
  }
  const problems: string[] = [];
  for (const account of manifest.accounts) {
    // The snapshot, then the large bodies kept as files beside it.
    for (const { file, bytes } of [account, ...(account.bodyFiles ?? [])]) {
      const size = (await stat(join(from, file)).catch(() => undefined))?.size;
      if (size !== bytes) {
        problems.push(
          `${file} (${account.userId}) is ${size === undefined ? "missing" : `${size} bytes, not ${bytes}`}`,
        );
      }
    }
  }
  let dataFiles: DataFilesManifest | undefined;
  try {
    dataFiles = await readDataFiles(from);
  } catch (error) {
    throw new CommandError(EXIT.dataErr, (error as Error).message);
  }
  if (dataFiles) problems.push(...(await damagedDataFiles(from, dataFiles)));
  if (problems.length > 0) {
    throw new CommandError(
      EXIT.dataErr,
      `the backup in ${from} is damaged:\n  ${problems.join("\n  ")}`,
    );
  }
  return { manifest, dataFiles };
}

export async function restoreCommand(argv: readonly string[], io: Io): Promise<number> {
  const values = parseOptions(argv, {
    ...LOCATION_OPTIONS,
    from: { type: "string" },
    force: { type: "boolean" },
    "no-queue": { type: "boolean" },
  });
  const from = resolve(required(values.from, "--from", "DIR"));
  const { dataDir } = await locate(values);
  const { manifest, dataFiles } = await readBackup(from);

  const running = await whatRuns(dataDir);
  if (running !== undefined) {
    throw new CommandError(
      EXIT.tempFail,
      `will not restore into ${dataDir}: ${running}. Stop it first (Ctrl-C in \`mailstack start\`).`,
    );
  }
  const store = new SqliteMailStore({ dataDir });
  const present = new Set(await store.listAccounts());
  await store.close();
  const replaced = manifest.accounts.filter((a) => present.has(a.userId)).map((a) => a.userId);
  const plan = dataFiles
    ? await planDataRestore(dataFiles, dataDir, { queue: !values["no-queue"] })
    : { write: [], same: [], conflicts: [], queueKept: [] };
  if (!values.force && (replaced.length > 0 || plan.conflicts.length > 0)) {
    const held = [
      ...replaced.map((id) => `the mail of ${id}`),
      ...plan.conflicts.map((f) => `${f.path} (different from the backup's)`),
    ];
    throw new CommandError(
      EXIT.cantCreate,
      `${dataDir} already holds:\n  ${held.join("\n  ")}\n` +
        "Add --force to replace them with the backup's; other accounts and files stay as they are.",
    );
  }

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const restored = await restoreStore(from, dataDir);
  const written = [...plan.write, ...(values.force ? plan.conflicts : [])];
  await restoreDataFiles(from, dataDir, written);

  const messages = manifest.accounts.reduce((sum, a) => sum + a.messages, 0);
  if (values.json) {
    const report = {
      from,
      dataDir,
      created: manifest.created,
      accounts: restored,
      replacedAccounts: replaced,
      messages,
      files: { written: written.map((f) => f.path), same: plan.same.map((f) => f.path) },
      queueKept: plan.queueKept.map((f) => f.path),
    };
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const lines = [
      `Restored the backup in ${from} (taken ${manifest.created}) into ${dataDir}:`,
      `  ${"mail".padEnd(26)} ${restored.length} account(s), ${messages} message(s)` +
        (replaced.length > 0 ? `, replacing ${replaced.join(", ")}` : ""),
      ...describeFiles(written),
      ...(plan.same.length > 0 ? [`  ${plan.same.length} file(s) were already the same`] : []),
      ...(plan.queueKept.length > 0
        ? [
            `  the queue already held ${plan.queueKept.filter((f) => f.path.endsWith(".msg")).length} of its messages: kept as they are`,
          ]
        : []),
      "Every restored mailbox has a new UIDVALIDITY: mail clients fetch it again.",
    ];
    io.stdout.write(`${lines.join("\n")}\n`);
  }
  return EXIT.ok;
}
