/**
 * IMAP as worker processes (../shared/workers.ts), and the state they share through the primary
 * (../shared/worker-ipc.ts):
 *
 * - Connection limits: the primary holds the one ConnectionLimit (total and per client
 *   address, with the exempt addresses); a worker asks it before serving a connection and tells
 *   it when the connection closes. What a worker held is released when it dies.
 * - Login throttling: the directory's FailureThrottle counts failures in its own process, so a
 *   client spreading its guesses over the workers would get `workers` times the allowance. The
 *   primary keeps a second FailureThrottle with the same defaults that every worker's failures
 *   and successes reach; a login it refuses fails as `throttled` without asking the directory.
 *
 * Everything else needs nothing from the primary: IDLE sees changes from other processes
 * through the store (data_version polling), each worker has its own store connections, TLS
 * material and spam learner, and SIGTERM reaches every worker from the primary.
 */
import type { Worker } from "node:cluster";
import { setTimeout as sleep } from "node:timers/promises";
import { normalizeAddress } from "../shared/directory/address.ts";
import { FailureThrottle, type ThrottleOptions } from "../shared/directory/throttle.ts";
import type { AuthResult, Directory } from "../shared/directory/types.ts";
import type { RunningServer } from "../shared/lifecycle.ts";
import type { Logger } from "../shared/log.ts";
import { PrimaryChannel, primaryHandlers } from "../shared/worker-ipc.ts";
import { startWorkers } from "../shared/workers.ts";
import type { ImapConfig } from "./config.ts";
import { ConnectionLimit, type Admission, type ConnectionCounter } from "./connection-limit.ts";
import { FAILED_LOGIN_FLOOR_MS, STOP_TIMEOUT_MS } from "./limits.ts";

/** IPC request names. */
const ADMIT = "imap-admit";
const RELEASE = "imap-release";
const THROTTLED = "imap-throttled";
const LOGIN_FAILED = "imap-login-failed";
const LOGIN_OK = "imap-login-ok";

interface LoginBody {
  readonly login: string;
  readonly address: string;
}

/** The primary: forks `count` workers and serves their shared connection counts and throttle. */
export function startImapWorkers(
  config: ImapConfig,
  count: number,
  log: Logger,
  throttleOptions?: ThrottleOptions,
): Promise<RunningServer> {
  const limit = new ConnectionLimit({
    max: config.maxConnections,
    perClient: config.maxConnectionsPerClient,
    exempt: config.connectionLimitExempt,
  });
  /** Connections each worker holds, by client address, to release them if it dies. */
  const held = new Map<Worker, Map<string, number>>();
  const throttle = new FailureThrottle(throttleOptions);

  const release = (worker: Worker, address: string): void => {
    const mine = held.get(worker);
    const count = mine?.get(address) ?? 0;
    if (!mine || count === 0) return;
    if (count > 1) mine.set(address, count - 1);
    else mine.delete(address);
    limit.release(address);
  };

  return startWorkers({
    name: "IMAP",
    count,
    log,
    stopTimeoutMs: STOP_TIMEOUT_MS + 5_000,
    onMessage: primaryHandlers({
      [ADMIT]: (worker, body) => {
        const address = String(body);
        const admission = limit.admit(address);
        if (admission === "ok") {
          const mine = held.get(worker) ?? new Map<string, number>();
          mine.set(address, (mine.get(address) ?? 0) + 1);
          held.set(worker, mine);
        }
        return admission;
      },
      [RELEASE]: (worker, body) => release(worker, String(body)),
      [THROTTLED]: (_worker, body) => {
        const { login, address } = body as LoginBody;
        return throttle.isThrottled(login, address);
      },
      [LOGIN_FAILED]: (_worker, body) => {
        const { login, address } = body as LoginBody;
        throttle.recordFailure(login, address);
      },
      [LOGIN_OK]: (_worker, body) => throttle.recordSuccess((body as LoginBody).login),
    }),
    onExit: (worker) => {
      const mine = held.get(worker);
      held.delete(worker);
      for (const [address, count] of mine ?? []) {
        for (let i = 0; i < count; i++) limit.release(address);
      }
    },
  });
}

/** A worker's view of the primary's services. */
export interface WorkerShared {
  readonly connectionLimit: ConnectionCounter;
  /** The directory, with failures counted across workers. */
  readonly directory: Directory;
}

export function workerShared(directory: Directory): WorkerShared {
  // Without the primary (it is gone and this worker is stopping), refuse: nobody counts.
  const channel = new PrimaryChannel((name) => (name === ADMIT ? "server-full" : false));
  const connectionLimit: ConnectionCounter = {
    admit: (address) => channel.request<Admission>(ADMIT, address),
    release: (address) => channel.notify(RELEASE, address),
  };
  const authenticate = async (
    login: string,
    password: string,
    context: { readonly remoteAddress: string },
  ): Promise<AuthResult> => {
    const started = performance.now();
    // The directory's own key for a login, so every spelling of an address counts as one.
    const key = normalizeAddress(login) ?? login.toLowerCase();
    const body: LoginBody = { login: key, address: context.remoteAddress };
    if (await channel.request<boolean>(THROTTLED, body)) {
      const left = FAILED_LOGIN_FLOOR_MS - (performance.now() - started);
      if (left > 0) await sleep(left);
      return { ok: false, reason: "throttled" };
    }
    const result = await directory.authenticate(login, password, context);
    if (result.ok) channel.notify(LOGIN_OK, body);
    else if (result.reason === "invalid") channel.notify(LOGIN_FAILED, body);
    return result;
  };
  return {
    connectionLimit,
    // Directories are plain objects of functions (createDirectory): the rest is kept as it is.
    directory: Object.freeze({ ...directory, authenticate }),
  };
}
