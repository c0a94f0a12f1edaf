/**
 * How one DnsRecord becomes the arguments of a Cloudflare `DnsRecord` (provider v6, API v4):
 * pure, so the mapping is tested without Pulumi. The component adds the zone id and, for DKIM,
 * content computed from the generated key.
 */
import { DnsRecordsError } from "./errors.ts";
import { relativeName } from "./names.ts";
import { txtPresentation } from "./txt.ts";
import type { DnsRecord } from "./types.ts";

/** Cloudflare's limit on comments for Free zones (paid plans allow more). */
export const CLOUDFLARE_COMMENT_MAX = 100;
/** TTL 1 is "automatic"; otherwise 30..86400 (below 60 only on Enterprise zones). */
const TTL_AUTOMATIC = 1;
const TTL_MIN = 30;

export interface CloudflareRecordArgs {
  readonly type: DnsRecord["type"];
  /** The full name: Cloudflare returns full names, so writing them keeps diffs empty. */
  readonly name: string;
  readonly ttl: number;
  readonly comment: string;
  /** Mail cannot pass Cloudflare's HTTP proxy: MX targets and mail host names must resolve to us. */
  readonly proxied: false;
  readonly content?: string;
  readonly priority?: number;
  readonly data?: {
    readonly priority?: number;
    readonly weight?: number;
    readonly port?: number;
    readonly target?: string;
    readonly flags?: number;
    readonly tag?: string;
    readonly value?: string;
  };
}

/**
 * TXT content as Cloudflare documents it: quoted character-strings of ≤255 octets each, separated
 * by spaces (`"part1" "part2"`). Short values are quoted too: Cloudflare flags unquoted TXT
 * content in its dashboard and would otherwise add the quotes itself (a diff on every preview).
 */
export function cloudflareTxtContent(strings: readonly string[]): string {
  return txtPresentation(strings);
}

export function cloudflareRecordArgs(record: DnsRecord): CloudflareRecordArgs {
  if (record.ttl !== TTL_AUTOMATIC && record.ttl < TTL_MIN) {
    throw new DnsRecordsError(
      "CLOUDFLARE_TTL",
      `mailstack:dns.ttl: Cloudflare takes 1 (automatic) or ${TTL_MIN}..86400 seconds, not ${record.ttl}`,
    );
  }
  const base = {
    type: record.type,
    name: record.name,
    ttl: record.ttl,
    comment: record.comment.slice(0, CLOUDFLARE_COMMENT_MAX),
    proxied: false,
  } as const;
  switch (record.type) {
    case "A":
    case "AAAA":
      return { ...base, content: record.address };
    case "CNAME":
      return { ...base, content: record.target };
    case "MX":
      return { ...base, content: record.target, priority: record.priority };
    case "TXT":
      return { ...base, content: cloudflareTxtContent(record.strings) };
    case "SRV": {
      // SRV data goes in `data`; the provider also reads the top-level priority for SRV, and a
      // record with only one of them shows a diff on every preview.
      const { priority, weight, port, target } = record;
      return { ...base, priority, data: { priority, weight, port, target } };
    }
    case "CAA":
      return { ...base, data: { flags: record.flags, tag: record.tag, value: record.value } };
  }
}

/**
 * The Pulumi name of a record's resource: `<prefix>-<zone>-<type>-<name in zone>`, plus the value
 * for types with several records at one name (A, AAAA, CAA). Stable across runs (no index, no
 * secret), and a changed value of a single-valued record updates in place instead of replacing.
 */
export function cloudflareResourceName(prefix: string, record: DnsRecord): string {
  const parts = [
    prefix,
    record.zone,
    record.type.toLowerCase(),
    relativeName(record.name, record.zone),
  ];
  if (record.type === "A" || record.type === "AAAA") parts.push(record.address);
  if (record.type === "CAA") parts.push(record.tag, record.value === ";" ? "none" : record.value);
  // Pulumi URNs use "::" as a separator; keep names to a safe alphabet.
  return parts.map((p) => p.toLowerCase().replace(/[^a-z0-9._@-]/g, "-")).join("-");
}
