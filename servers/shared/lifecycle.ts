/**
 * The life of a server process, the same for every server: read its runtime config, start,
 * tell the runner it is listening, stop cleanly on SIGTERM or SIGINT.
 *
 * A server's main.ts is `runServer({ name, schema, start })`. The runtime config comes as JSON
 * in the file named by MAILSTACK_CONFIG (written by the local runner, or mounted in a container).
 * When the process was started with an IPC channel (the local runner forks it), readiness is sent
 * as `{ type: "ready", endpoints }`; a container healthcheck probes the ports instead.
 */
import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { ConfigError, parseConfig } from "./config.ts";
import { createLogger, type Logger } from "./log.ts";

export const CONFIG_ENV = "MAILSTACK_CONFIG";

/** One listening socket of a server, as the runner and `mailstack status` report it. */
export interface Endpoint {
  /** What it serves: "smtp", "submission", "imaps", "lmtp", ... */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** "implicit" (TLS from the first byte), "starttls" (upgrade offered) or "none". */
  readonly tls: "implicit" | "starttls" | "none";
}

export interface RunningServer {
  readonly endpoints: readonly Endpoint[];
  /** Stops accepting, finishes or ends open sessions, releases resources. */
  stop(): Promise<void>;
}

export interface ServerDefinition<S extends z.ZodType> {
  readonly name: string;
  readonly schema: S;
  start(config: Readonly<z.output<S>>, log: Logger): Promise<RunningServer>;
}

export type ReadyMessage = { readonly type: "ready"; readonly endpoints: readonly Endpoint[] };

/** Time a server gets to finish open sessions after SIGTERM before it is ended anyway. */
const STOP_GRACE_MS = 10_000;

/**
 * Starts the server and resolves with the exit code the process should end with once it stops.
 * Only main.ts calls process.exit with it.
 */
export async function runServer<S extends z.ZodType>(
  definition: ServerDefinition<S>,
): Promise<number> {
  const log = createLogger(definition.name);
  let config: Readonly<z.output<S>>;
  try {
    config = await readRuntimeConfig(definition.schema);
  } catch (error) {
    log.fatal(error instanceof ConfigError ? error.message : { err: error }, "bad runtime config");
    return 78; // EX_CONFIG (sysexits.h)
  }

  let server: RunningServer;
  try {
    server = await definition.start(config, log);
  } catch (error) {
    log.fatal({ err: error }, "could not start");
    return 1;
  }
  log.info({ endpoints: server.endpoints }, "listening");
  process.send?.({ type: "ready", endpoints: server.endpoints } satisfies ReadyMessage);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "stopping");
      const timer = setTimeout(() => {
        log.warn("sessions did not finish in time; ending them");
        resolve(0);
      }, STOP_GRACE_MS);
      timer.unref();
      server.stop().then(
        () => {
          clearTimeout(timer);
          log.info("stopped");
          resolve(0);
        },
        (error: unknown) => {
          log.error({ err: error }, "error while stopping");
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    // The runner's IPC channel closing means the runner is gone: do not outlive it.
    process.once("disconnect", () => stop("SIGTERM"));
  });
}

async function readRuntimeConfig<S extends z.ZodType>(schema: S): Promise<Readonly<z.output<S>>> {
  const path = process.env[CONFIG_ENV];
  if (!path)
    throw new ConfigError("environment", [
      `${CONFIG_ENV}: expected the path of the server's JSON config`,
    ]);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new ConfigError(path, [`cannot read it as JSON: ${(error as Error).message}`]);
  }
  return parseConfig(schema, raw, { source: path });
}
