/**
 * Test support: servers/mta/main.ts as a child process, the way the local runner starts it
 * (MAILSTACK_CONFIG, an IPC channel for the ready message), so a test can SIGKILL the whole MTA
 * and start it again on the same config, spool and ports.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { trackChild } from "../../../test/helpers/child-processes.ts";
import type { Endpoint, ReadyMessage } from "../../shared/lifecycle.ts";

export { freePort } from "../../../test/helpers/ports.ts";

const MAIN = join(import.meta.dirname, "..", "main.ts");
const READY_TIMEOUT_MS = 30_000;

export interface MtaProcess {
  readonly child: ChildProcess;
  readonly endpoints: readonly Endpoint[];
  /** The last lines of its stdout and stderr, for failure messages. */
  output(): string;
  /** SIGKILL: no stop(), no state written, sockets dropped by the kernel. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit; resolves to the exit code. */
  stop(): Promise<number | null>;
}

export async function startMtaProcess(configPath: string): Promise<MtaProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { ...process.env, MAILSTACK_CONFIG: configPath, LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  trackChild(child);
  let output = "";
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8192));
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = once(child, "exit");

  const endpoints = await new Promise<readonly Endpoint[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the MTA was not ready within ${READY_TIMEOUT_MS} ms:\n${output}`));
    }, READY_TIMEOUT_MS);
    child.on("message", (message: ReadyMessage) => {
      if (message.type !== "ready") return;
      clearTimeout(timer);
      resolve(message.endpoints);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the MTA exited while starting (${code ?? signal}):\n${output}`));
    });
  });

  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    endpoints,
    output: () => output,
    async kill() {
      if (alive()) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (alive()) child.kill("SIGTERM");
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** A TCP port free on 127.0.0.1 now (the MTA binds it again after each restart). */
