/**
 * The records that point at the mail host: MX, the host's own A/AAAA, and the CNAMEs of the
 * names clients and senders look up by convention (`mta-sts`, `autoconfig`, `autodiscover`).
 */
import type { StackConfig } from "../../stacks/schema.ts";
import type { DnsRecord } from "./types.ts";

export type MxRecord = Extract<DnsRecord, { type: "MX" }>;
export type AddressRecord = Extract<DnsRecord, { type: "A" | "AAAA" }>;
export type CnameRecord = Extract<DnsRecord, { type: "CNAME" }>;

/** One host, so any preference would do; 10 leaves room to add a backup MX on either side. */
export const MX_PRIORITY = 10;

export function mxRecord(config: StackConfig, domain: string): MxRecord {
  return {
    zone: domain,
    name: domain,
    ttl: config.dns.ttl,
    type: "MX",
    priority: MX_PRIORITY,
    target: config.hostname,
    comment: "MX: mail for this domain goes to our mail host",
  };
}

/**
 * An IPv6 address in its canonical text form (RFC 5952: lower case, longest zero run compressed),
 * which is what Cloudflare stores and returns, so a config written another way shows no diff.
 */
export function canonicalIpv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/**
 * A and AAAA of the mail host, into `zone` (the caller picks the zone holding the host name;
 * see records.ts). Duplicate addresses in the config are written once.
 */
export function hostAddressRecords(config: StackConfig, zone: string): AddressRecord[] {
  const base = { zone, name: config.hostname, ttl: config.dns.ttl };
  const v4 = [...new Set(config.addresses.ipv4)];
  const v6 = [...new Set(config.addresses.ipv6.map(canonicalIpv6))];
  return [
    ...v4.map((address): AddressRecord => ({
      ...base,
      type: "A",
      address,
      comment: "the mail host's IPv4 address (MX target)",
    })),
    ...v6.map((address): AddressRecord => ({
      ...base,
      type: "AAAA",
      address,
      comment: "the mail host's IPv6 address (MX target)",
    })),
  ];
}

/**
 * `<label>.<domain>` CNAME the mail host. None when that name is the host itself: it then has its
 * addresses already, and a CNAME beside them is not allowed (RFC 1034 §3.6.2).
 */
export function hostAlias(
  config: StackConfig,
  domain: string,
  label: string,
  comment: string,
): CnameRecord[] {
  const name = `${label}.${domain}`;
  if (name === config.hostname) return [];
  return [
    { zone: domain, name, ttl: config.dns.ttl, type: "CNAME", target: config.hostname, comment },
  ];
}
