/**
 * Test helpers: the real engine over a throwaway database and an in-memory DNS zone, and small
 * messages built field by field. Every analyzer test goes through `analyze`, so what is tested
 * is the analyzer as the service runs it (symbols as they come out of the pipeline).
 */
import { createLogger } from "../../shared/log.ts";
import type { CheckFacts } from "../analyzers/context.ts";
import { ClamdClient } from "../clamd.ts";
import { spamConfigSchema, type SpamConfig } from "../config.ts";
import { openDatabase, type Database } from "../database.ts";
import { createCachingResolver, staticLookup } from "../dns-cache.ts";
import { createEngine, type CheckResult, type SpamEngine } from "../engine.ts";

export const silentLog = createLogger("spam-test", { level: "silent" });

export function testConfig(overrides: Record<string, unknown> = {}): SpamConfig {
  return spamConfigSchema.parse({
    hostname: "mx.example.com",
    listen: { host: "127.0.0.1", port: 0 },
    dataDir: ":memory:",
    domains: ["example.com"],
    ...overrides,
  });
}

export interface Analysis extends CheckResult {
  /** Symbol name -> detail ("" when none). */
  readonly hits: ReadonlyMap<string, string>;
  /** DNS queries made, "TYPE name". */
  readonly queries: readonly string[];
}

export interface TestEngine {
  readonly engine: SpamEngine;
  readonly db: Database;
  readonly queries: string[];
  check(facts: Omit<Partial<CheckFacts>, "raw"> & { raw: Buffer | string }): Promise<Analysis>;
}

/** An engine with its own database and zone; reuse it to keep learned state between checks. */
export function testEngine(
  zone: Readonly<Record<string, readonly unknown[] | string>> = {},
  overrides: Record<string, unknown> = {},
  options: { readonly now?: () => Date; readonly db?: Database } = {},
): TestEngine {
  const config = testConfig(overrides);
  const db = options.db ?? openDatabase(config.dataDir);
  const lookup = staticLookup(zone);
  const resolver = createCachingResolver(lookup);
  const engine = createEngine(config, {
    db,
    resolve: resolver.resolve,
    log: silentLog,
    ...(config.clamd ? { clamd: new ClamdClient(config.clamd) } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    engine,
    db,
    queries: lookup.queries,
    async check(facts) {
      const raw = typeof facts.raw === "string" ? Buffer.from(facts.raw) : facts.raw;
      const before = lookup.queries.length;
      const result = await engine.check({
        mailFrom: "sender@example.org",
        rcptTo: ["user@example.com"],
        clientAddress: "192.0.2.10",
        helo: "mail.example.org",
        tls: null,
        ...facts,
        raw,
      });
      return {
        ...result,
        hits: new Map(result.symbols.map((s) => [s.name, s.detail ?? ""])),
        queries: lookup.queries.slice(before),
      };
    },
  };
}

/** One-off analysis with a fresh engine. */
export function analyze(
  raw: Buffer | string,
  facts: Partial<CheckFacts> = {},
  zone: Readonly<Record<string, readonly unknown[] | string>> = {},
  overrides: Record<string, unknown> = {},
): Promise<Analysis> {
  return testEngine(zone, overrides).check({ ...facts, raw });
}

export interface MessageParts {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
}

const DEFAULT_HEADERS: Record<string, string> = {
  From: "Sender <sender@example.org>",
  To: "user@example.com",
  Subject: "Lunch on Thursday",
  Date: "Tue, 04 Mar 2025 10:00:00 +0000",
  "Message-ID": "<20250304100000.abc@example.org>",
  "MIME-Version": "1.0",
  "Content-Type": "text/plain; charset=utf-8",
};

/** A message with sensible defaults; a header set to undefined is left out. */
export function message(parts: MessageParts = {}): string {
  const headers = { ...DEFAULT_HEADERS, ...parts.headers };
  const lines = Object.entries(headers)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}: ${value}`);
  const body = parts.body ?? "Shall we meet at noon at the usual place?\r\n";
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}
