/**
 * Servers that tests start as child processes (slapd, named, ...) and their temporary
 * directories: killed and removed when the test process ends, even by a signal or a failure, so
 * a crashed test leaves nothing running.
 */
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

const running = new Set<ChildProcess>();
const directories = new Set<string>();
let exitHooked = false;

function cleanUpOnExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const cleanUp = (): void => {
    for (const child of running) child.kill("SIGKILL");
    for (const dir of directories) rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", cleanUp);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      cleanUp();
      process.removeListener(signal, onSignal);
      // Let the signal do what it would have done had we not been listening.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** Tracks a child until it exits: killed with the test process if it is still running then. */
export function trackChild(child: ChildProcess): void {
  cleanUpOnExit();
  running.add(child);
  child.once("exit", () => running.delete(child));
}

export function untrackChild(child: ChildProcess): void {
  running.delete(child);
}

/** Tracks a temporary directory: removed with the test process unless released first. */
export function trackDirectory(dir: string): void {
  cleanUpOnExit();
  directories.add(dir);
}

export function untrackDirectory(dir: string): void {
  directories.delete(dir);
}
