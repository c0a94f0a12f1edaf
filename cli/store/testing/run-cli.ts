/**
 * Runs the real `mailstack` command (cli/main.ts) as a child process, as an operator would;
 * or, for the many small usage cases, the same command in this process.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { storeCommand, type StoreCommandName } from "../store-command.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "cli/main.ts", ...args],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Like runCli, but fails with the command's stderr unless it exits 0. */
export async function runCliOk(...args: string[]): Promise<CliResult> {
  const result = await runCli(...args);
  if (result.code !== 0) {
    throw new Error(`mailstack ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  }
  return result;
}

/** The command in this process (cli/store/store-command.ts, which cli/main.ts calls). */
export async function inProcess(
  name: StoreCommandName,
  args: readonly string[],
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await storeCommand(name, args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}
