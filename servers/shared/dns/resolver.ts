/**
 * The DNS resolver every server is handed (never a global lookup): MX routing in the MTA, and
 * whatever later needs TXT (SPF, DKIM, DMARC, MTA-STS). One interface, one implementation on
 * node:dns `Resolver` with configurable servers, so tests point it at their own `named`.
 *
 * Failures are classified once, here, into the three answers callers act on:
 *   nxdomain  the name does not exist (RCODE 3)          -> permanent for mail routing
 *   nodata    the name exists, no record of that type    -> e.g. implicit MX (RFC 5321 §5.1)
 *   temporary SERVFAIL, REFUSED, timeout, network error  -> retry later
 */
import { Resolver } from "node:dns/promises";

export interface MxRecord {
  /** The exchange host name, without the trailing dot; "" for the root (null MX, RFC 7505). */
  readonly exchange: string;
  readonly priority: number;
}

export interface DnsResolver {
  resolveMx(name: string): Promise<MxRecord[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
  resolveTxt(name: string): Promise<string[][]>;
}

export type DnsErrorKind = "nxdomain" | "nodata" | "temporary";

/** A failed lookup, with the kind that decides what to do about it. */
export class DnsLookupError extends Error {
  constructor(
    readonly kind: DnsErrorKind,
    readonly query: string,
    readonly rrtype: string,
    readonly code: string,
  ) {
    super(`DNS ${rrtype} lookup for ${query} failed: ${code}`);
    this.name = "DnsLookupError";
  }
}

export interface DnsResolverOptions {
  /** "host" or "host:port" ("[v6]:port" for IPv6); empty or absent: the system's resolvers. */
  readonly servers?: readonly string[];
  /** Per-query timeout in ms (c-ares doubles it on each retry). Default 5000. */
  readonly timeoutMs?: number;
  /** Attempts per server. Default 2. */
  readonly tries?: number;
}

/** c-ares codes (node:dns) that mean "this name does not exist" or "no record of this type". */
const NXDOMAIN_CODES = new Set(["ENOTFOUND"]);
const NODATA_CODES = new Set(["ENODATA"]);

export function classifyDnsError(error: unknown): DnsErrorKind {
  const code = errorCode(error);
  if (NXDOMAIN_CODES.has(code)) return "nxdomain";
  if (NODATA_CODES.has(code)) return "nodata";
  return "temporary";
}

export function createDnsResolver(options: DnsResolverOptions = {}): DnsResolver {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 5000, tries: options.tries ?? 2 });
  if (options.servers && options.servers.length > 0) resolver.setServers([...options.servers]);
  const wrap =
    <T>(rrtype: string, query: (name: string) => Promise<T>) =>
    async (name: string): Promise<T> => {
      try {
        return await query(name);
      } catch (error) {
        throw new DnsLookupError(classifyDnsError(error), name, rrtype, errorCode(error));
      }
    };
  return {
    resolveMx: wrap("MX", (name) => resolver.resolveMx(name)),
    resolve4: wrap("A", (name) => resolver.resolve4(name)),
    resolve6: wrap("AAAA", (name) => resolver.resolve6(name)),
    resolveTxt: wrap("TXT", (name) => resolver.resolveTxt(name)),
  };
}

/** The kind of a failure from any DnsResolver (ours throws DnsLookupError; others raw codes). */
export function dnsErrorKind(error: unknown): DnsErrorKind {
  return error instanceof DnsLookupError ? error.kind : classifyDnsError(error);
}

function errorCode(error: unknown): string {
  return error instanceof Error && "code" in error ? String(error.code) : "EUNKNOWN";
}
