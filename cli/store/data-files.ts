/**
 * The part of a backup that is not the mail store: what a restored system needs to keep its
 * identity and the mail not delivered yet. Paths are relative to the data directory, and the
 * backup directory mirrors them.
 *
 *   ca/                       the local CA clients were told to trust (tls/ is reissued from it)
 *   dkim/                     DKIM private keys, whose public halves are published in DNS
 *   generated-passwords.json  hashes of the passwords the runner made and printed once
 *   spam/spam.sqlite          the spam filter's learning (copied with VACUUM INTO: consistent)
 *   queue/messages, state     mail accepted and not delivered yet, with its delivery state
 *
 * Left out, because the runner rebuilds them on start: tls/, directory.json (from the config),
 * run/, status.json, the queue's lock and control requests.
 *
 * `data-files.json` lists each file with its size, mode and SHA-256, so a restore can check the
 * backup before it touches anything.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { writeFileAtomic } from "../../servers/shared/fs/atomic-write.ts";

export const DATA_FILES = "data-files.json";
const FORMAT = "mailstack-data-files/1";

/** Copied file by file. */
const TREES = ["ca", "dkim"];
const SINGLE_FILES = ["generated-passwords.json"];
/** Live SQLite databases: copied inside a read transaction. */
const DATABASES = ["spam/spam.sqlite"];
const QUEUE_MESSAGES = "queue/messages";
const QUEUE_STATE = "queue/state";

export type DataFileKind = "file" | "database" | "queue";

export interface DataFile {
  /** Relative, with "/" separators. */
  readonly path: string;
  readonly kind: DataFileKind;
  readonly bytes: number;
  readonly mode: number;
  readonly sha256: string;
}

export interface DataFilesManifest {
  readonly format: typeof FORMAT;
  readonly files: readonly DataFile[];
}

const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");
const local = (root: string, path: string): string => join(root, ...path.split("/"));

async function filesUnder(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(local(root, dir), { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = posix.join(dir, entry.name);
    if (entry.name.startsWith(".")) continue; // temp files of atomic writes
    if (entry.isDirectory()) out.push(...(await filesUnder(root, path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Copies the data files of `dataDir` into `backupDir` and writes data-files.json. Safe while
 * the servers run: every file here is replaced atomically by its writer, and the databases are
 * copied inside a transaction. A queue message that is delivered while this runs is either
 * copied whole or not at all; its state file is copied after it, so it is never older than
 * the message.
 */
export async function backupDataFiles(dataDir: string, backupDir: string): Promise<DataFile[]> {
  const files: DataFile[] = [];
  const copy = async (path: string, kind: DataFileKind): Promise<boolean> => {
    const source = local(dataDir, path);
    const data = await readIfExists(source);
    if (data === undefined) return false; // gone meanwhile (a delivered queue message)
    const mode = (await stat(source)).mode & 0o777;
    await mkdir(dirname(local(backupDir, path)), { recursive: true, mode: 0o700 });
    await writeFileAtomic(local(backupDir, path), data, { mode });
    files.push({ path, kind, bytes: data.byteLength, mode, sha256: sha256(data) });
    return true;
  };
  for (const tree of TREES)
    for (const path of await filesUnder(dataDir, tree)) await copy(path, "file");
  for (const path of SINGLE_FILES) await copy(path, "file");
  for (const path of DATABASES) {
    const source = local(dataDir, path);
    if ((await stat(source).catch(() => undefined)) === undefined) continue;
    const target = local(backupDir, path);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    const temp = `${target}.partial`;
    const db = new DatabaseSync(source, { timeout: 15_000 });
    try {
      db.prepare("VACUUM INTO ?").run(temp);
    } finally {
      db.close();
    }
    const data = await readFile(temp);
    await rm(temp);
    await writeFileAtomic(target, data, { mode: 0o600 });
    files.push({
      path,
      kind: "database",
      bytes: data.byteLength,
      mode: 0o600,
      sha256: sha256(data),
    });
  }
  for (const message of await filesUnder(dataDir, QUEUE_MESSAGES)) {
    if (!message.endsWith(".msg")) continue;
    if (!(await copy(message, "queue"))) continue;
    await copy(`${QUEUE_STATE}/${posix.basename(message, ".msg")}.json`, "queue");
  }
  const manifest: DataFilesManifest = { format: FORMAT, files };
  await writeFileAtomic(join(backupDir, DATA_FILES), `${JSON.stringify(manifest, null, 2)}\n`);
  return files;
}

/** The backup's data files, or undefined for a backup of the mail store only. */
export async function readDataFiles(backupDir: string): Promise<DataFilesManifest | undefined> {
  const text = await readIfExists(join(backupDir, DATA_FILES));
  if (text === undefined) return undefined;
  const manifest = JSON.parse(text.toString("utf8")) as DataFilesManifest;
  const listed: unknown = manifest.files;
  if (manifest.format !== FORMAT || !Array.isArray(listed)) {
    throw new Error(`${join(backupDir, DATA_FILES)} is not a ${FORMAT} list`);
  }
  for (const file of manifest.files) {
    if (
      file.path.split("/").some((part) => part === ".." || part === "") ||
      file.path.startsWith("/")
    ) {
      throw new Error(
        `${join(backupDir, DATA_FILES)} names a path outside the data directory: ${file.path}`,
      );
    }
  }
  return manifest;
}

/** Files of the backup that are missing or whose bytes differ from the list. */
export async function damagedDataFiles(
  backupDir: string,
  manifest: DataFilesManifest,
): Promise<string[]> {
  const damaged: string[] = [];
  for (const file of manifest.files) {
    const data = await readIfExists(local(backupDir, file.path));
    if (data === undefined) damaged.push(`${file.path} is missing`);
    else if (sha256(data) !== file.sha256) damaged.push(`${file.path} differs from its checksum`);
  }
  return damaged;
}

export interface DataRestorePlan {
  /** Absent from the data directory, or (with force) replaced. */
  readonly write: readonly DataFile[];
  /** Already there with the same bytes. */
  readonly same: readonly DataFile[];
  /** There with other bytes: replaced only with --force. */
  readonly conflicts: readonly DataFile[];
  /** Queue files of messages the data directory's queue already holds: left as they are. */
  readonly queueKept: readonly DataFile[];
}

const queueId = (path: string): string => posix.basename(path).replace(/\.(msg|json)$/, "");

/**
 * What a restore would do. The queue is merged, never replaced: a message the data directory's
 * queue already has keeps its own (newer) state, and the others are added.
 */
export async function planDataRestore(
  manifest: DataFilesManifest,
  dataDir: string,
  options: { queue: boolean },
): Promise<DataRestorePlan> {
  const plan = { write: [] as DataFile[], same: [] as DataFile[], conflicts: [] as DataFile[] };
  const queueKept: DataFile[] = [];
  for (const file of manifest.files) {
    if (file.kind === "queue") {
      if (!options.queue) continue;
      const held = await stat(local(dataDir, `${QUEUE_MESSAGES}/${queueId(file.path)}.msg`)).catch(
        () => undefined,
      );
      (held === undefined ? plan.write : queueKept).push(file);
      continue;
    }
    const existing = await readIfExists(local(dataDir, file.path));
    if (existing === undefined) plan.write.push(file);
    else if (sha256(existing) === file.sha256) plan.same.push(file);
    else plan.conflicts.push(file);
  }
  return { ...plan, queueKept };
}

/**
 * Writes the planned files (and the conflicts, which the caller allowed with --force). Only
 * with the system stopped: a database's old -wal and -shm are removed before it is replaced,
 * and queue state files go in before their message, the order the spool's recovery expects.
 */
export async function restoreDataFiles(
  backupDir: string,
  dataDir: string,
  files: readonly DataFile[],
): Promise<void> {
  const ordered = [...files].sort(
    (a, b) => Number(a.path.endsWith(".msg")) - Number(b.path.endsWith(".msg")),
  );
  for (const file of ordered) {
    const target = local(dataDir, file.path);
    const data = await readFile(local(backupDir, file.path));
    if (sha256(data) !== file.sha256) throw new Error(`${file.path} in the backup changed`);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    if (file.kind === "database") {
      await rm(`${target}-wal`, { force: true });
      await rm(`${target}-shm`, { force: true });
    }
    await writeFileAtomic(target, data, { mode: file.mode });
  }
}
