/**
 * One writer per spool: the running MTA's queue manager, or, when no MTA runs, a
 * `mailstack queue retry|delete` command. The lock is `<spool>/lock`, created with O_EXCL and
 * holding the owner's pid. A lock whose process is gone (kill -9) is stale and taken over.
 *
 * Readers (`list`, `show`) need no lock: every file they read is replaced atomically.
 * Known limit: two processes taking over the same stale lock at the same instant can both
 * believe they won; the window is one unlink+create and only after a crash.
 */
import { open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { SpoolLockedError } from "./errors.ts";

/** Locks held by this process, so a same-pid lock file left by an earlier run is seen as stale. */
const heldHere = new Set<string>();

export interface SpoolLock {
  release(): Promise<void>;
}

export function lockPath(spoolDir: string): string {
  return join(spoolDir, "lock");
}

/** The pid holding the spool, or undefined when nobody (alive) does. */
export async function lockHolder(spoolDir: string): Promise<number | undefined> {
  const path = lockPath(spoolDir);
  let pid: number;
  try {
    pid = Number.parseInt(await readFile(path, "utf8"), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (pid === process.pid) return heldHere.has(path) ? pid : undefined;
  return isAlive(pid) ? pid : undefined;
}

export async function acquireSpoolLock(spoolDir: string): Promise<SpoolLock> {
  const path = lockPath(spoolDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, "wx", 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      heldHere.add(path);
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          heldHere.delete(path);
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if (!(error instanceof Error && "code" in error && error.code === "EEXIST")) throw error;
      const holder = await lockHolder(spoolDir);
      if (holder !== undefined) throw new SpoolLockedError(spoolDir, holder);
      await unlink(path).catch(() => undefined); // stale: its owner is gone
    }
  }
  throw new SpoolLockedError(spoolDir, -1);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return error instanceof Error && "code" in error && error.code === "EPERM";
  }
}
