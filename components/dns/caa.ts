/**
 * CAA (RFC 8659): which certificate authorities may issue for the mail domains. One RRset at each
 * domain's apex covers every name below it (the CA climbs the tree, RFC 8659 §3), so the mail
 * host, `mta-sts.<domain>` and the autoconfig names are covered without records of their own.
 */
import type { StackConfig } from "../../stacks/schema.ts";
import type { DnsRecord } from "./types.ts";

export type CaaRecord = Extract<DnsRecord, { type: "CAA" }>;

/** The CA domain of Let's Encrypt, which checks it for production and staging alike. */
export const LETS_ENCRYPT_CAA = "letsencrypt.org";

/**
 * The CAs allowed to issue, or undefined to publish no restriction:
 * - `caa.issuers` when set; an empty list means no CA at all (`issue ";"`, RFC 8659 §4.2);
 * - for tls.mode acme with Let's Encrypt (production or staging), letsencrypt.org;
 * - for acme with another directory URL, none: we cannot know that CA's CAA domain, and a wrong
 *   guess would block renewals (set `caa.issuers`);
 * - for selfSigned and files, none: no public CA is asked, so there is nothing to restrict.
 */
export function caaIssuers(config: StackConfig): readonly string[] | undefined {
  if (config.caa.issuers !== undefined) return [...new Set(config.caa.issuers)];
  if (config.tls.mode === "acme" && ["production", "staging"].includes(config.tls.server)) {
    return [LETS_ENCRYPT_CAA];
  }
  return undefined;
}

export function caaRecords(config: StackConfig, index: number): CaaRecord[] {
  const domain = config.domains[index];
  if (domain === undefined) throw new RangeError(`no domain at index ${index}`);
  const base = { zone: domain.name, name: domain.name, ttl: config.dns.ttl, flags: 0 } as const;
  const issuers = caaIssuers(config);
  const records: CaaRecord[] = [];
  if (issuers !== undefined && issuers.length === 0) {
    records.push({
      ...base,
      type: "CAA",
      tag: "issue",
      value: ";",
      comment: "CAA: no CA may issue certificates here",
    });
  }
  for (const ca of issuers ?? []) {
    records.push({
      ...base,
      type: "CAA",
      tag: "issue",
      value: ca,
      comment: `CAA: ${ca} may issue certificates here`,
    });
  }
  if (config.caa.iodef !== undefined) {
    records.push({
      ...base,
      type: "CAA",
      tag: "iodef",
      value: config.caa.iodef,
      comment: "CAA: where CAs report refused certificate requests",
    });
  }
  return records;
}
