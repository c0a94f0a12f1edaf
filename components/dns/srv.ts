/**
 * SRV records that let mail clients find our services from an address alone (RFC 6186, with the
 * implicit-TLS services of RFC 8314 §5.1). Cleartext IMAP and POP3 are never offered (RFC 8314
 * §5.1 lets a domain say so), and a disabled service gets target "." (RFC 2782, RFC 6186 §4:
 * "the service is decidedly not available"), with priority, weight and port 0.
 */
import type { StackConfig } from "../../stacks/schema.ts";
import type { DnsRecord } from "./types.ts";

export type SrvRecord = Extract<DnsRecord, { type: "SRV" }>;

type Ports = StackConfig["docker"]["ports"];
type Services = StackConfig["services"];

interface SrvService {
  /** `_service._proto`, prepended to the domain. */
  readonly label: string;
  /** The published port, or undefined when we never offer it (cleartext). */
  readonly port: (ports: Ports) => number | undefined;
  readonly offered: (services: Services) => boolean;
  readonly why: string;
}

/** One entry per service name of RFC 6186 §3 and RFC 8314 §5.1, in the order clients prefer. */
export const SRV_SERVICES: readonly SrvService[] = [
  {
    label: "_submissions._tcp",
    port: (p) => p.submissions,
    offered: (s) => s.submission,
    why: "submission over implicit TLS (RFC 8314 §5.1)",
  },
  {
    label: "_submission._tcp",
    port: (p) => p.submission,
    offered: (s) => s.submission,
    why: "submission with STARTTLS (RFC 6186 §3.1)",
  },
  {
    label: "_imaps._tcp",
    port: (p) => p.imaps,
    offered: (s) => s.imap,
    why: "IMAP over implicit TLS (RFC 6186 §3.2)",
  },
  {
    label: "_imap._tcp",
    port: () => undefined,
    offered: () => false,
    why: "cleartext IMAP is not offered (RFC 8314 §5.1)",
  },
  {
    label: "_pop3s._tcp",
    port: (p) => p.pop3s,
    offered: (s) => s.pop3,
    why: "POP3 over implicit TLS (RFC 6186 §3.3)",
  },
  {
    label: "_pop3._tcp",
    port: () => undefined,
    offered: () => false,
    why: "cleartext POP3 is not offered (RFC 8314 §5.1)",
  },
];

/** Priority and weight of an offered service: one host, so any values would do; 0 and 1. */
const PRIORITY = 0;
const WEIGHT = 1;

export function srvRecords(config: StackConfig, index: number): SrvRecord[] {
  const domain = config.domains[index];
  if (domain === undefined) throw new RangeError(`no domain at index ${index}`);
  return SRV_SERVICES.map((service): SrvRecord => {
    const port = service.port(config.docker.ports);
    const base = {
      zone: domain.name,
      name: `${service.label}.${domain.name}`,
      ttl: config.dns.ttl,
    };
    if (port === undefined || !service.offered(config.services)) {
      const why = port === undefined ? service.why : `${service.why}: disabled in services`;
      return { ...base, type: "SRV", priority: 0, weight: 0, port: 0, target: ".", comment: why };
    }
    return {
      ...base,
      type: "SRV",
      priority: PRIORITY,
      weight: WEIGHT,
      port,
      target: config.hostname,
      comment: service.why,
    };
  });
}
