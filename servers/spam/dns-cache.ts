/**
 * The one DNS resolver of the spam service, in mailauth's shape `resolver(name, rrtype)` (the
 * shape of node's `dns.promises.resolve`), with a cache that honours TTLs.
 *
 * - Answers are kept for their TTL, clamped to [minTtl, maxTtl]. node:dns reports TTLs for A
 *   and AAAA only; other types are kept for `defaultTtl` (clamped the same way).
 * - "No such name" (ENOTFOUND) and "no record of that type" (ENODATA) are cached for
 *   `negativeTtl` (RFC 2308 negative caching; the SOA minimum is not visible through node:dns).
 * - Temporary failures (SERVFAIL, timeouts) are never cached.
 * - Concurrent queries for the same name and type share one lookup.
 *
 * Errors keep node's codes (ENOTFOUND, ENODATA, ETIMEOUT, ...), which mailauth and our
 * analyzers read. Tests inject an in-memory lookup; the service uses `nodeDnsLookup`.
 */
import { Resolver } from "node:dns/promises";

export type RrType = "A" | "AAAA" | "TXT" | "MX" | "PTR" | "CNAME" | "NS";

/** What a lookup answers, with the TTL when the source knows it. */
export interface LookupAnswer {
  readonly records: unknown[];
  readonly ttl?: number;
}

export type Lookup = (name: string, rrtype: string) => Promise<LookupAnswer>;

/** mailauth's resolver type; also what every analyzer receives. */
export type DnsResolve = (name: string, rrtype: string) => Promise<never[]>;

export interface DnsCacheOptions {
  readonly maxEntries: number;
  readonly minTtl: number;
  readonly maxTtl: number;
  readonly defaultTtl: number;
  readonly negativeTtl: number;
  /** Seconds since the epoch; tests move time. */
  readonly now?: () => number;
}

export const DEFAULT_DNS_CACHE: DnsCacheOptions = {
  maxEntries: 20_000,
  minTtl: 30,
  maxTtl: 86_400,
  defaultTtl: 300,
  negativeTtl: 60,
};

export class DnsError extends Error {
  constructor(
    readonly code: string,
    readonly hostname: string,
    readonly rrtype: string,
  ) {
    super(`query ${rrtype} ${hostname} failed: ${code}`);
    this.name = "DnsError";
  }
}

const NEGATIVE_CODES = new Set(["ENOTFOUND", "ENODATA"]);

type Entry =
  | { readonly expires: number; readonly records: unknown[] }
  | { readonly expires: number; readonly code: string };

export interface CachingResolver {
  readonly resolve: DnsResolve;
  readonly stats: { queries: number; hits: number };
  clear(): void;
}

export function createCachingResolver(
  lookup: Lookup,
  options: DnsCacheOptions = DEFAULT_DNS_CACHE,
): CachingResolver {
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<unknown[]>>();
  const now = options.now ?? (() => Date.now() / 1000);
  const stats = { queries: 0, hits: 0 };
  const clamp = (ttl: number): number => Math.min(options.maxTtl, Math.max(options.minTtl, ttl));

  const store = (key: string, entry: Entry): void => {
    if (cache.size >= options.maxEntries) {
      // A Map iterates in insertion order: drop the oldest tenth.
      let drop = Math.ceil(options.maxEntries / 10);
      for (const k of cache.keys()) {
        cache.delete(k);
        if (--drop <= 0) break;
      }
    }
    cache.set(key, entry);
  };

  const query = async (name: string, rrtype: string, key: string): Promise<unknown[]> => {
    stats.queries++;
    try {
      const answer = await lookup(name, rrtype);
      store(key, {
        expires: now() + clamp(answer.ttl ?? options.defaultTtl),
        records: answer.records,
      });
      return answer.records;
    } catch (error) {
      const code = errorCode(error);
      if (NEGATIVE_CODES.has(code)) store(key, { expires: now() + options.negativeTtl, code });
      throw new DnsError(code, name, rrtype);
    }
  };

  const resolve = async (name: string, rrtype: string): Promise<never[]> => {
    const normalized = name.toLowerCase().replace(/\.$/, "");
    const key = `${rrtype.toUpperCase()} ${normalized}`;
    const entry = cache.get(key);
    if (entry && entry.expires > now()) {
      stats.hits++;
      if ("code" in entry) throw new DnsError(entry.code, name, rrtype);
      return entry.records as never[];
    }
    if (entry) cache.delete(key);
    let pending = inflight.get(key);
    if (!pending) {
      pending = query(normalized, rrtype.toUpperCase(), key).finally(() => inflight.delete(key));
      inflight.set(key, pending);
    } else stats.hits++;
    return (await pending) as never[];
  };

  return { resolve, stats, clear: () => cache.clear() };
}

function errorCode(error: unknown): string {
  return error instanceof Error && "code" in error ? String(error.code) : "EUNKNOWN";
}

export interface NodeDnsOptions {
  /** "host" or "host:port"; empty: the system's resolvers. */
  readonly servers: readonly string[];
  readonly timeoutMs: number;
  readonly tries: number;
}

/** Real lookups through node:dns (c-ares), asking only the configured servers. */
export function nodeDnsLookup(options: NodeDnsOptions): Lookup {
  const resolver = new Resolver({ timeout: options.timeoutMs, tries: options.tries });
  if (options.servers.length > 0) resolver.setServers([...options.servers]);
  return async (name, rrtype) => {
    if (rrtype === "A" || rrtype === "AAAA") {
      const answers =
        rrtype === "A"
          ? await resolver.resolve4(name, { ttl: true })
          : await resolver.resolve6(name, { ttl: true });
      const ttl = answers.length > 0 ? Math.min(...answers.map((a) => a.ttl)) : undefined;
      return { records: answers.map((a) => a.address), ...(ttl === undefined ? {} : { ttl }) };
    }
    return { records: (await resolver.resolve(name, rrtype)) as unknown[] };
  };
}

/**
 * An in-memory zone for tests and offline runs: `{ "TXT example.com": [["v=spf1 -all"]] }`.
 * A value that is a string is an error code answered instead ("ETIMEOUT"); the type "ANY"
 * answers it for every type of the name. Names not listed answer ENOTFOUND, types not listed
 * of a listed name ENODATA, unless `unknown` gives the code for everything not listed.
 */
export function staticLookup(
  records: Readonly<Record<string, readonly unknown[] | string>>,
  options: { readonly ttl?: number; readonly unknown?: string } = {},
): Lookup & { readonly queries: string[] } {
  const queries: string[] = [];
  const table = new Map(Object.entries(records).map(([k, v]) => [k.toLowerCase(), v]));
  const names = new Set([...table.keys()].map((k) => k.slice(k.indexOf(" ") + 1)));
  const fail = (code: string, key: string): never => {
    throw Object.assign(new Error(`${code} ${key}`), { code });
  };
  const lookup = async (name: string, rrtype: string): Promise<LookupAnswer> => {
    await Promise.resolve();
    const lower = name.toLowerCase().replace(/\.$/, "");
    const key = `${rrtype} ${lower}`.toLowerCase();
    queries.push(`${rrtype.toUpperCase()} ${lower}`);
    const found = table.get(key) ?? table.get(`any ${lower}`);
    if (typeof found === "string") return fail(found, key);
    if (found && table.has(key))
      return { records: [...found], ...(options.ttl === undefined ? {} : { ttl: options.ttl }) };
    return fail(options.unknown ?? (names.has(lower) ? "ENODATA" : "ENOTFOUND"), key);
  };
  return Object.assign(lookup, { queries });
}
