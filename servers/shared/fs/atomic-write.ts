/**
 * Replaces a file so that a reader, or the next start after a crash, sees either the old content
 * or the new content, never a prefix of the new one: the data goes to a temporary file in the same
 * directory (rename is only atomic within one file system), is fsynced, then renamed over the
 * target, and the directory is fsynced so the rename itself survives a power cut.
 */
import { randomBytes } from "node:crypto";
import { chmod, link, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface WriteFileAtomicOptions {
  /** Permission bits of the new file, applied exactly (not cut by the umask). Default 0o644. */
  readonly mode?: number;
  /**
   * Create the file only if it does not exist yet; otherwise reject with an `EEXIST` error and
   * leave the existing file alone. Lets two processes race to create the same file and agree on
   * one winner. Default false (replace).
   */
  readonly exclusive?: boolean;
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o644;
  const dir = dirname(path);
  // A dot-prefixed name keeps watchers that filter on the target's name from seeing the temp file.
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let tempExists = false;
  try {
    // Created with the final mode from the start, so a secret is never readable by others, not
    // even between open and chmod.
    const handle = await open(temp, "wx", mode & 0o600);
    tempExists = true;
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, mode);
    if (options.exclusive) {
      // link(2) fails with EEXIST instead of replacing, which rename(2) cannot do.
      await link(temp, path);
      await unlink(temp);
    } else {
      await rename(temp, path);
    }
    tempExists = false;
    await fsyncDirectory(dir);
  } finally {
    if (tempExists) await unlink(temp).catch(() => undefined);
  }
}

/** fsync of a directory, so the names created in it are durable (a no-op where refused). */
export async function fsyncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (error) {
    // Some file systems (and Windows) refuse to open or fsync a directory; the file data is
    // already durable, only the rename might be lost, so this is not worth failing the write.
    if (!isErrno(error, "EISDIR", "EINVAL", "EPERM", "EACCES")) throw error;
  } finally {
    await handle?.close();
  }
}

function isErrno(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && "code" in error && codes.includes(String(error.code));
}
