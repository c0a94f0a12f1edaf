/** Starts testing/child.ts in a separate Node process and collects its stdout lines. */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");

export interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line (seen so far or later) matching, or rejects after timeoutMs. */
  waitFor(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  /** What the process wrote to stderr so far. */
  stderr(): string;
}

export function spawnChild(args: readonly string[]): Child {
  const child = spawn(process.execPath, ["--import", TSX, CHILD, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    for (const wake of [...waiters]) wake();
  });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      if (partial !== "") lines.push(partial);
      for (const wake of [...waiters]) wake();
      resolve(code);
    }),
  );
  return {
    process: child,
    lines,
    exited,
    stderr: () => stderr,
    waitFor(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.find(match);
          if (found !== undefined) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`child exited before the line came; stderr: ${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; lines: ${lines.slice(-5).join(" | ")}; stderr: ${stderr}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
