/**
 * Where mail for a domain goes (RFC 5321 §5.1), through the injected resolver:
 *
 *   - MX records, lowest preference first, in random order among equal preferences;
 *   - no MX record (NODATA): the domain itself is the implicit MX, via its A/AAAA records;
 *   - a null MX, "MX 0 ." (RFC 7505 §3): the domain accepts no mail, a permanent failure
 *     (5.1.10) without any connection attempt;
 *   - NXDOMAIN for the domain: permanent (5.1.2); SERVFAIL, REFUSED, timeout: temporary (4.4.3);
 *   - each MX host's IPv6 and IPv4 addresses (IPv6 first, RFC 6724 default preference);
 *     a host without addresses is skipped; none at all is permanent (5.4.4) unless a lookup
 *     failed temporarily;
 *   - an address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]") is used as is (§5.1).
 */
import { isIP } from "node:net";
import { dnsErrorKind, type DnsResolver } from "../../shared/dns/resolver.ts";
import type { Outcome } from "../queue/recipient-state.ts";
import { FAILURES, localOutcome } from "./results.ts";

export interface MxHost {
  /** Host name (for TLS names and Remote-MTA), or "[ip]" for an address literal. */
  readonly name: string;
  readonly preference: number;
  readonly addresses: readonly string[];
}

export type Route =
  | { readonly kind: "hosts"; readonly hosts: readonly MxHost[]; readonly implicit: boolean }
  | { readonly kind: "failure"; readonly outcome: Outcome };

export interface LookupOptions {
  /** Random source for the order among equal preferences; tests pass a fixed one. */
  readonly random?: () => number;
}

export async function lookupRoute(
  domain: string,
  resolver: DnsResolver,
  options: LookupOptions = {},
): Promise<Route> {
  const literal = addressLiteral(domain);
  if (literal !== undefined) {
    return {
      kind: "hosts",
      implicit: true,
      hosts: [{ name: `[${literal}]`, preference: 0, addresses: [literal] }],
    };
  }
  const name = domain.replace(/\.$/, "").toLowerCase();
  let exchanges: { name: string; preference: number }[];
  let implicit = false;
  try {
    const records = await resolver.resolveMx(name);
    const real = records.filter((r) => r.exchange !== "" && r.exchange !== ".");
    if (real.length === 0 && records.length > 0) {
      return { kind: "failure", outcome: localOutcome(FAILURES.nullMx, name) };
    }
    exchanges = order(
      real.map((r) => ({
        name: r.exchange.replace(/\.$/, "").toLowerCase(),
        preference: r.priority,
      })),
      options.random ?? Math.random,
    );
    if (exchanges.length === 0) {
      implicit = true;
      exchanges = [{ name, preference: 0 }];
    }
  } catch (error) {
    const kind = dnsErrorKind(error);
    if (kind === "nxdomain") {
      return { kind: "failure", outcome: localOutcome(FAILURES.noSuchDomain, name) };
    }
    if (kind === "temporary") {
      return { kind: "failure", outcome: localOutcome(FAILURES.dnsTemporary, `MX ${name}`) };
    }
    implicit = true; // NODATA: RFC 5321 §5.1 implicit MX
    exchanges = [{ name, preference: 0 }];
  }

  let temporary: string | undefined;
  const hosts = await Promise.all(
    exchanges.map(async (exchange): Promise<MxHost> => {
      const [v6, v4] = await Promise.all(
        [resolver.resolve6(exchange.name), resolver.resolve4(exchange.name)].map((p) =>
          p.catch((error: unknown) => {
            if (dnsErrorKind(error) === "temporary") temporary = exchange.name;
            return [] as string[];
          }),
        ),
      );
      return { ...exchange, addresses: [...(v6 ?? []), ...(v4 ?? [])] };
    }),
  );
  const usable = hosts.filter((h) => h.addresses.length > 0);
  if (usable.length === 0) {
    return {
      kind: "failure",
      outcome:
        temporary === undefined
          ? localOutcome(FAILURES.noRoute, name)
          : localOutcome(FAILURES.dnsTemporary, `A/AAAA ${temporary}`),
    };
  }
  return { kind: "hosts", hosts: usable, implicit };
}

/** Sorted by preference; shuffled first so that equal preferences come in random order. */
function order<T extends { preference: number }>(items: T[], random: () => number): T[] {
  const shuffled = [...items];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  return shuffled.sort((a, b) => a.preference - b.preference); // stable: keeps the shuffle
}

/** The IP of "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3), else undefined. */
export function addressLiteral(domain: string): string | undefined {
  const m = /^\[(?:IPv6:)?([^\]]+)\]$/i.exec(domain);
  if (!m?.[1]) return undefined;
  const ip = m[1];
  const v6 = /^\[IPv6:/i.test(domain);
  const family = isIP(ip);
  return (v6 && family === 6) || (!v6 && family === 4) ? ip : undefined;
}
