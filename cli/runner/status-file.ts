/**
 * The runner's status file (`<dataDir>/status.json`): what runs where, for `mailstack status`,
 * for scripts and for tests. Written once every server is listening and again on every change.
 */
import { readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { writeFileAtomic } from "../../servers/shared/fs/atomic-write.ts";
import type { ChildState } from "./supervisor.ts";

export const STATUS_FILE = "status.json";

export interface RunnerStatus {
  readonly runner: { readonly pid: number; readonly startedAt: string; readonly config: string };
  readonly caFile: string;
  readonly servers: readonly ChildState[];
  readonly updatedAt: string;
}

export function statusPath(dataDir: string): string {
  return join(dataDir, STATUS_FILE);
}

export async function writeStatus(dataDir: string, status: RunnerStatus): Promise<void> {
  await writeFileAtomic(statusPath(dataDir), `${JSON.stringify(status, null, 2)}\n`, {
    mode: 0o644,
  });
}

export async function removeStatus(dataDir: string): Promise<void> {
  await rm(statusPath(dataDir), { force: true });
}

export async function readStatus(dataDir: string): Promise<RunnerStatus | undefined> {
  try {
    return JSON.parse(await readFile(statusPath(dataDir), "utf8")) as RunnerStatus;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when something accepts a TCP connection at host:port within the timeout. */
export function probe(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
