/**
 * One serving process of the spam service: the database, the caching resolver, clamd when
 * configured, the engine and its HTTP server. main.ts runs one of these, or one per worker.
 */
import type { RunningServer } from "../shared/lifecycle.ts";
import type { Logger } from "../shared/log.ts";
import { ClamdClient } from "./clamd.ts";
import type { SpamConfig } from "./config.ts";
import { openDatabase } from "./database.ts";
import { createCachingResolver, nodeDnsLookup, type DnsResolve } from "./dns-cache.ts";
import { createEngine } from "./engine.ts";
import { startHttpServer } from "./server.ts";

export interface ServiceOverrides {
  /** Replaces the DNS servers of the config (tests: an in-memory zone). */
  readonly resolve?: DnsResolve;
  readonly now?: () => Date;
}

export async function startSpamService(
  config: SpamConfig,
  log: Logger,
  overrides: ServiceOverrides = {},
): Promise<RunningServer> {
  const db = openDatabase(config.dataDir);
  const resolve =
    overrides.resolve ??
    createCachingResolver(
      nodeDnsLookup({
        servers: config.dns.servers,
        timeoutMs: config.dns.timeoutMs,
        tries: config.dns.tries,
      }),
      config.dns.cache,
    ).resolve;
  const clamd = config.clamd && new ClamdClient(config.clamd);
  const engine = createEngine(config, {
    db,
    resolve,
    log,
    ...(clamd ? { clamd } : {}),
    ...(overrides.now ? { now: overrides.now } : {}),
  });
  let http;
  try {
    http = await startHttpServer(config, engine, log);
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    endpoints: http.endpoints,
    async stop() {
      await http.stop();
      db.close();
    },
  };
}
