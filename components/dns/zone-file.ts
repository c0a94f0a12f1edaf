/**
 * Records as an RFC 1035 §5 master file ("zone file"), as `mailstack plan` prints them and as a
 * real DNS server (BIND's named, in the tests) loads them. Cloudflare hosts the real zones, so
 * the SOA and NS written here are stand-ins that make the file complete and loadable.
 */
import { DnsRecordsError } from "./errors.ts";
import { absolute, isAtOrBelow } from "./names.ts";
import { quoteTxtString, txtPresentation } from "./txt.ts";
import type { DnsRecord } from "./types.ts";

export interface SoaOptions {
  /** MNAME. Default the first name server. */
  readonly primary?: string;
  /** RNAME as a mailbox domain (`hostmaster.example.com` is hostmaster@example.com). */
  readonly hostmaster?: string;
  /** Default 1: a plan that changes only when the records do. */
  readonly serial?: number;
  /** Seconds; defaults follow RFC 1912 §2.2 and RFC 2308 §5 (negative caching: 1 hour). */
  readonly refresh?: number;
  readonly retry?: number;
  readonly expire?: number;
  readonly minimum?: number;
}

export interface NameServer {
  readonly name: string;
  /** Glue for a name server inside the zone; default 192.0.2.53 (RFC 5737 documentation). */
  readonly addresses?: readonly string[];
}

export interface ZoneFileOptions {
  readonly soa?: SoaOptions;
  /** Default `ns1.<zone>`, a stand-in: Cloudflare assigns the real ones. */
  readonly nameservers?: readonly (string | NameServer)[];
}

/** Cloudflare's TTL 1 means "automatic", which it serves as 300 seconds. */
export const CLOUDFLARE_AUTOMATIC_TTL = 1;
export const AUTOMATIC_TTL_SECONDS = 300;
/** RFC 5737 TEST-NET-1: the stand-in address of a stand-in name server. */
export const PLACEHOLDER_NS_ADDRESS = "192.0.2.53";

/** The records of each zone, zones and records in first-seen order. */
export function groupByZone(records: readonly DnsRecord[]): Map<string, DnsRecord[]> {
  const zones = new Map<string, DnsRecord[]>();
  for (const record of records) {
    const list = zones.get(record.zone) ?? [];
    list.push(record);
    zones.set(record.zone, list);
  }
  return zones;
}

/** The RDATA in presentation format (RFC 1035 §3.3, RFC 2782, RFC 8659 §4.1.1). */
export function rdataText(record: DnsRecord): string {
  switch (record.type) {
    case "A":
    case "AAAA":
      return record.address;
    case "CNAME":
      return absolute(record.target);
    case "MX":
      return `${record.priority} ${absolute(record.target)}`;
    case "TXT":
      return txtPresentation(record.strings);
    case "SRV":
      return `${record.priority} ${record.weight} ${record.port} ${absolute(record.target)}`;
    case "CAA":
      return `${record.flags} ${record.tag} ${quoteTxtString(record.value)}`;
  }
}

function servedTtl(ttl: number): number {
  return ttl === CLOUDFLARE_AUTOMATIC_TTL ? AUTOMATIC_TTL_SECONDS : ttl;
}

function line(name: string, ttl: number, type: string, rdata: string, comment?: string): string {
  const text = `${absolute(name)} ${ttl} IN ${type} ${rdata}`;
  return comment === undefined ? text : `${text} ; ${comment.replace(/[\r\n]+/g, " ")}`;
}

/**
 * A complete master file for `zone`: $ORIGIN, $TTL, SOA, NS (with glue when in the zone), then
 * `records` with absolute names. Throws OUTSIDE_ZONE for a record that is not at or below `zone`.
 */
export function renderZoneFile(
  zone: string,
  records: readonly DnsRecord[],
  options: ZoneFileOptions = {},
): string {
  for (const record of records) {
    if (record.zone !== zone || !isAtOrBelow(record.name, zone)) {
      throw new DnsRecordsError(
        "OUTSIDE_ZONE",
        `${record.type} record ${record.name} (zone ${record.zone}) cannot go into the zone file of ${zone}`,
      );
    }
  }
  const nameservers: NameServer[] = (options.nameservers ?? [`ns1.${zone}`]).map((ns) =>
    typeof ns === "string" ? { name: ns } : ns,
  );
  const first = nameservers[0];
  if (first === undefined) throw new RangeError("a zone needs at least one name server");
  const defaultTtl = servedTtl(records[0]?.ttl ?? 3600);
  const soa = options.soa ?? {};
  const soaFields = [
    absolute(soa.primary ?? first.name),
    absolute(soa.hostmaster ?? `hostmaster.${zone}`),
    soa.serial ?? 1,
    soa.refresh ?? 7200,
    soa.retry ?? 3600,
    soa.expire ?? 1_209_600,
    soa.minimum ?? 3600,
  ];
  const lines = [
    `; ${zone}: the records mailstack declares. SOA and NS are stand-ins (Cloudflare hosts the zone).`,
    `$ORIGIN ${absolute(zone)}`,
    `$TTL ${defaultTtl}`,
    line(zone, defaultTtl, "SOA", soaFields.join(" ")),
    ...nameservers.map((ns) => line(zone, defaultTtl, "NS", absolute(ns.name))),
  ];
  // RFC 1034 §4.2.1: a name server inside its own zone needs an address there (glue), and named
  // refuses the zone without one; none is added when the records already give that name one.
  for (const ns of nameservers) {
    if (!isAtOrBelow(ns.name, zone)) continue;
    const known = records.some((r) => r.name === ns.name && (r.type === "A" || r.type === "AAAA"));
    if (known && ns.addresses === undefined) continue;
    for (const address of ns.addresses ?? [PLACEHOLDER_NS_ADDRESS]) {
      const type = address.includes(":") ? "AAAA" : "A";
      lines.push(line(ns.name, defaultTtl, type, address, "name server address (stand-in)"));
    }
  }
  for (const record of records) {
    lines.push(
      line(record.name, servedTtl(record.ttl), record.type, rdataText(record), record.comment),
    );
  }
  return `${lines.join("\n")}\n`;
}
