/**
 * SPF (RFC 7208): the TXT record at each mail domain saying which hosts may send for it. Ours
 * always allows the domain's MX (our own host), then the configured networks and includes, and
 * ends with the configured `all` (`-all`, fail, by default).
 */
import type { StackConfig } from "../../stacks/schema.ts";
import { DnsRecordsError, domainKey } from "./errors.ts";
import { txtRecord, type TxtRecord } from "./txt.ts";

type DomainConfig = StackConfig["domains"][number];

/** RFC 7208 §4.6.4: more than 10 DNS-querying terms is a permerror at the receiver. */
export const SPF_MAX_LOOKUPS = 10;
/** RFC 7208 §3.4: keep the answer within 512 octets so it needs no TCP or EDNS. */
export const SPF_MAX_ANSWER_OCTETS = 512;

/** The record text: `v=spf1 mx [ip4:..] [ip6:..] [include:..] -all`. */
export function spfValue(spf: DomainConfig["spf"]): string {
  // Mechanisms are tried left to right (RFC 7208 §4.6.2): the cheap ip4/ip6 ones after `mx`
  // (our own host, the common case) and before the includes that each cost lookups.
  const terms = [
    "v=spf1",
    "mx",
    ...spf.ip4.map((net) => `ip4:${net}`),
    ...spf.ip6.map((net) => `ip6:${net}`),
    ...spf.include.map((domain) => `include:${domain}`),
    spf.all,
  ];
  return terms.join(" ");
}

/**
 * The DNS lookups an SPF record costs by its own terms (RFC 7208 §4.6.4): `a`, `mx`, `ptr`,
 * `include`, `exists` and `redirect` count one each; `ip4`, `ip6`, `all` and `exp` none. Includes
 * are not followed: what they cost in turn is theirs to keep small, and changes without us.
 */
export function spfLookupCount(record: string): number {
  let count = 0;
  for (const raw of record.trim().split(/\s+/).slice(1)) {
    const term = raw.replace(/^[+\-~?]/, "").toLowerCase();
    if (/^(a|mx|ptr)([:/]|$)/.test(term) || /^(include|exists):/.test(term)) count++;
    else if (term.startsWith("redirect=")) count++;
  }
  return count;
}

/** Octets of `name` in wire format: a length octet per label, then the root's zero octet. */
function wireLength(name: string): number {
  return name.split(".").reduce((sum, label) => sum + 1 + Buffer.byteLength(label), 1);
}

/**
 * The size of a UDP answer carrying only this TXT record: header (12), question (name, type,
 * class), and one answer with a compressed owner name (2), type, class, TTL, RDLENGTH (10) and the
 * character-strings, each with its length octet (RFC 1035 §4.1).
 */
export function txtAnswerOctets(record: TxtRecord): number {
  const rdata = record.strings.reduce((sum, s) => sum + 1 + Buffer.byteLength(s), 0);
  return 12 + wireLength(record.name) + 4 + 2 + 10 + rdata;
}

/** The SPF record of `config.domains[index]`, refused when receivers could not evaluate it. */
export function spfRecord(config: StackConfig, index: number): TxtRecord {
  const domain = config.domains[index];
  if (domain === undefined) throw new RangeError(`no domain at index ${index}`);
  const value = spfValue(domain.spf);
  const lookups = spfLookupCount(value);
  if (lookups > SPF_MAX_LOOKUPS) {
    throw new DnsRecordsError(
      "SPF_TOO_MANY_LOOKUPS",
      `${domain.name}: the SPF record needs ${lookups} DNS lookups (mx and ${domain.spf.include.length} includes), more than the ${SPF_MAX_LOOKUPS} receivers allow (RFC 7208 §4.6.4); remove includes from ${domainKey(index, "spf")}.include or list their networks as ip4/ip6`,
    );
  }
  const record = txtRecord(
    {
      zone: domain.name,
      name: domain.name,
      ttl: config.dns.ttl,
      comment: "SPF: hosts allowed to send mail for this domain",
    },
    value,
  );
  const octets = txtAnswerOctets(record);
  if (octets > SPF_MAX_ANSWER_OCTETS) {
    throw new DnsRecordsError(
      "SPF_TOO_LONG",
      `${domain.name}: the SPF record is ${Buffer.byteLength(value)} characters and its DNS answer ${octets} octets, more than the ${SPF_MAX_ANSWER_OCTETS} that fit UDP (RFC 7208 §3.4); shorten ${domainKey(index, "spf")} (merge ip4/ip6 networks into CIDR blocks)`,
    );
  }
  return record;
}
