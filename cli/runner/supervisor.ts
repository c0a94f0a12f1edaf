/**
 * Runs each server as a child process and keeps it running: waits for its ready message,
 * restarts it with backoff when it dies, and stops everything on request.
 */
import { fork, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { CONFIG_ENV, type Endpoint, type ReadyMessage } from "../../servers/shared/lifecycle.ts";

export interface ChildSpec {
  readonly name: string;
  /** The server's main.ts, absolute. */
  readonly entry: string;
  /** The runtime config file the server reads (MAILSTACK_CONFIG). */
  readonly configPath: string;
  /** Extra environment for the child. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ChildState {
  readonly name: string;
  readonly pid: number | undefined;
  readonly endpoints: readonly Endpoint[];
  readonly restarts: number;
  readonly state: "starting" | "running" | "restarting" | "stopped" | "failed";
}

/**
 * How long a server may take between spawn and its ready message. Generous: on two busy cores,
 * nine processes loading TypeScript at once took over 30 s; a server that hangs is still named.
 */
const READY_TIMEOUT_MS = 120_000;
/** After SIGTERM, how long before SIGKILL. Servers themselves give sessions 10 s. */
const STOP_TIMEOUT_MS = 12_000;
/** Restarts within this window count toward giving up. */
const RESTART_WINDOW_MS = 60_000;
const MAX_RESTARTS_IN_WINDOW = 5;

interface Child {
  spec: ChildSpec;
  process?: ChildProcess;
  endpoints: readonly Endpoint[];
  restarts: number[];
  state: ChildState["state"];
}

export class Supervisor extends EventEmitter<{
  /** A child's output line, to pass on to the runner's own output. */
  output: [name: string, line: string];
  /** A child is listening (first start or restart). */
  ready: [name: string];
  /** A child died and is being restarted, or gave up. */
  crash: [name: string, code: number | null, signal: NodeJS.Signals | null, giveUp: boolean];
}> {
  readonly #children = new Map<string, Child>();
  #stopping = false;

  /** Starts every server and resolves when all are ready; rejects if one fails to start. */
  async start(specs: readonly ChildSpec[]): Promise<void> {
    for (const spec of specs) {
      this.#children.set(spec.name, { spec, endpoints: [], restarts: [], state: "starting" });
    }
    await Promise.all(specs.map((spec) => this.#launch(this.#children.get(spec.name)!)));
  }

  states(): ChildState[] {
    return [...this.#children.values()].map((c) => ({
      name: c.spec.name,
      pid: c.process?.pid,
      endpoints: c.endpoints,
      restarts: c.restarts.length,
      state: c.state,
    }));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      [...this.#children.values()].map(async (child) => {
        const proc = child.process;
        child.state = "stopped";
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
        proc.kill("SIGTERM");
        const killed = sleep(STOP_TIMEOUT_MS, undefined, { ref: false }).then(() => {
          proc.kill("SIGKILL");
        });
        await Promise.race([exited, killed]);
        await exited;
      }),
    );
  }

  #launch(child: Child): Promise<void> {
    const { spec } = child;
    const proc = fork(spec.entry, [], {
      env: { ...process.env, ...spec.env, [CONFIG_ENV]: spec.configPath },
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    child.process = proc;
    for (const stream of [proc.stdout, proc.stderr]) {
      let buffered = "";
      stream?.setEncoding("utf8").on("data", (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) if (line) this.emit("output", spec.name, line);
      });
    }

    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new Error(`${spec.name} did not become ready within ${READY_TIMEOUT_MS / 1000} s`));
      }, READY_TIMEOUT_MS);
      proc.on("message", (message: ReadyMessage) => {
        if (message.type !== "ready") return;
        ready = true;
        clearTimeout(timer);
        child.endpoints = message.endpoints;
        child.state = "running";
        this.emit("ready", spec.name);
        resolve();
      });
      proc.once("error", (error) => {
        clearTimeout(timer);
        if (!ready) reject(error);
      });
      proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (!ready) {
          child.state = "failed";
          reject(
            new Error(`${spec.name} exited before it was ready (${signal ?? `code ${code}`})`),
          );
          return;
        }
        if (this.#stopping) return;
        this.#restart(child, code, signal);
      });
    });
  }

  #restart(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    const now = Date.now();
    child.restarts = child.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    const giveUp = child.restarts.length >= MAX_RESTARTS_IN_WINDOW;
    this.emit("crash", child.spec.name, code, signal, giveUp);
    if (giveUp) {
      child.state = "failed";
      child.endpoints = [];
      return;
    }
    child.restarts.push(now);
    child.state = "restarting";
    const backoff = Math.min(200 * 2 ** child.restarts.length, 10_000);
    setTimeout(() => {
      if (this.#stopping) return;
      this.#launch(child).catch((error: unknown) => {
        this.emit("output", child.spec.name, `restart failed: ${(error as Error).message}`);
        this.#restart(child, null, null);
      });
    }, backoff).unref();
  }
}
