/**
 * Our filter as the accuracy benchmarks run it: the real engine in process (every analyzer, the
 * score table, the thresholds), a database of its own, and DNS that answers nothing.
 *
 * The corpus is replayed as if each message came from a relay at 192.0.2.1 (TEST-NET-1) that
 * said HELO relay.example.net, with the message's Return-Path as MAIL FROM. There is no network
 * here and the messages are from 2002: every DNS query fails as a network failure would
 * (ECONNREFUSED), so SPF/DKIM/DMARC come out temperror and add nothing, as SpamAssassin's -L.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Verdict as LearnVerdict } from "../servers/spam/bayes/models.ts";
import { spamConfigSchema, type SpamConfig } from "../servers/spam/config.ts";
import { openDatabase, type Database } from "../servers/spam/database.ts";
import { createCachingResolver, staticLookup } from "../servers/spam/dns-cache.ts";
import { createEngine, type CheckResult, type SpamEngine } from "../servers/spam/engine.ts";
import { parseMail } from "../servers/spam/message/parse.ts";
import { createLogger } from "../servers/shared/log.ts";

export const BENCH_CLIENT = "192.0.2.1";
export const BENCH_HELO = "relay.example.net";
export const BENCH_RECIPIENT = "user@example.com";

export function benchConfig(dataDir: string, overrides: Record<string, unknown> = {}): SpamConfig {
  return spamConfigSchema.parse({
    hostname: "mx.example.com",
    listen: { host: "127.0.0.1", port: 0 },
    dataDir,
    domains: ["example.com"],
    // The training corpus is small next to a real site's: the classifier speaks from the start.
    bayes: { minSpam: 1, minHam: 1 },
    ...overrides,
  });
}

export function envelopeSender(raw: Buffer): string {
  const returnPath = parseMail(raw).header("return-path") ?? "";
  return /<([^>]*)>/.exec(returnPath)?.[1] ?? returnPath.trim();
}

export interface OurFilter {
  readonly engine: SpamEngine;
  readonly db: Database;
  train(messages: Iterable<{ readonly raw: Buffer; readonly label: LearnVerdict }>): number;
  check(raw: Buffer): Promise<CheckResult>;
  close(): void;
}

/**
 * Our filter in process. With `dataDir` in the overrides the database lives there and stays
 * after close (to hand a trained model to a service); otherwise in a directory removed on close.
 */
export function openOurFilter(
  overrides: Record<string, unknown> = {},
  removeOnClose = true,
): OurFilter {
  const given = typeof overrides.dataDir === "string" ? overrides.dataDir : undefined;
  const dir = given ?? mkdtempSync(join(tmpdir(), "mailstack-spam-bench-"));
  const config = benchConfig(dir, overrides);
  const db = openDatabase(dir);
  const offline = createCachingResolver(staticLookup({}, { unknown: "ECONNREFUSED" }));
  const engine = createEngine(config, {
    db,
    resolve: offline.resolve,
    log: createLogger("spam-bench", { level: "silent" }),
  });
  return {
    engine,
    db,
    train(messages) {
      const seeds = [...messages].map((m) => ({
        raw: m.raw,
        verdict: m.label,
        mailFrom: envelopeSender(m.raw),
      }));
      return engine.seed(seeds);
    },
    check(raw) {
      return engine.check({
        raw,
        mailFrom: envelopeSender(raw),
        rcptTo: [BENCH_RECIPIENT],
        clientAddress: BENCH_CLIENT,
        helo: BENCH_HELO,
        tls: null,
      });
    },
    close() {
      db.close();
      if (removeOnClose && given === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
