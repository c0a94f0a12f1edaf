/**
 * Operator requests to a running queue manager. While an MTA holds the spool, `mailstack queue
 * retry|delete` does not touch the spool itself: it drops a request file into `<spool>/control/`
 * (atomically, so a half-written request is never read) and the manager applies it within a
 * poll interval, then deletes the file. The command waits for that deletion to report success.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { writeFileAtomic } from "../../shared/fs/atomic-write.ts";
import { isQueueId } from "./spool.ts";

const requestSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("retry"), id: z.union([z.literal("all"), z.string()]) }),
  z.object({ action: z.literal("delete"), id: z.string() }),
]);

export type ControlRequest = z.output<typeof requestSchema>;

export function controlDir(spoolDir: string): string {
  return join(spoolDir, "control");
}

/** Writes a request; resolves to its file path. */
export async function submitRequest(spoolDir: string, request: ControlRequest): Promise<string> {
  const dir = controlDir(spoolDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${Date.now()}-${randomBytes(4).toString("hex")}.req`);
  await writeFileAtomic(path, JSON.stringify(request), { mode: 0o600 });
  return path;
}

/** Waits until the manager consumed the request file; false on timeout. */
export async function awaitRequest(path: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await readFile(path);
    } catch {
      return true;
    }
    await sleep(50);
  }
  return false;
}

/**
 * Reads, hands over and deletes every pending request, oldest first. A malformed request is
 * deleted and reported through `onInvalid`.
 */
export async function drainRequests(
  spoolDir: string,
  apply: (request: ControlRequest) => Promise<void>,
  onInvalid: (file: string) => void,
): Promise<void> {
  const dir = controlDir(spoolDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.endsWith(".req") && !n.startsWith(".")).sort()) {
    const path = join(dir, name);
    let request: ControlRequest | undefined;
    try {
      const parsed = requestSchema.safeParse(JSON.parse(await readFile(path, "utf8")));
      const data = parsed.success ? parsed.data : undefined;
      if (data && ((data.action === "retry" && data.id === "all") || isQueueId(data.id))) {
        request = data;
      }
    } catch {
      request = undefined;
    }
    if (request) await apply(request);
    else onInvalid(path);
    await unlink(path).catch(() => undefined);
  }
}
