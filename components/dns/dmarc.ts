/**
 * DMARC (RFC 7489): the `_dmarc.<domain>` policy record, and the records that let one of our
 * domains receive another's reports (RFC 7489 §7.1).
 *
 * Tags are written only when they say something (RFC 7489 §6.3 defaults): `p` always; `sp` only
 * when it differs from `p` (absent, `p` applies to subdomains); `adkim`/`aspf` only when strict
 * (default relaxed); `pct` only below 100 (default 100); `rua`/`ruf` when set, URIs joined by
 * commas. A shorter record says the same thing, and reads as what was chosen on purpose.
 */
import type { StackConfig } from "../../stacks/schema.ts";
import { isAtOrBelow, zoneHolding } from "./names.ts";
import { txtRecord, type TxtRecord } from "./txt.ts";

type DmarcConfig = StackConfig["domains"][number]["dmarc"];

const ALIGNMENT = { relaxed: "r", strict: "s" } as const;

/** The record text, e.g. `v=DMARC1; p=reject; adkim=s; rua=mailto:d@example.com`. */
export function dmarcValue(dmarc: DmarcConfig): string {
  const tags = ["v=DMARC1", `p=${dmarc.policy}`];
  if (dmarc.subdomainPolicy !== undefined && dmarc.subdomainPolicy !== dmarc.policy) {
    tags.push(`sp=${dmarc.subdomainPolicy}`);
  }
  if (dmarc.dkimAlignment !== "relaxed") tags.push(`adkim=${ALIGNMENT[dmarc.dkimAlignment]}`);
  if (dmarc.spfAlignment !== "relaxed") tags.push(`aspf=${ALIGNMENT[dmarc.spfAlignment]}`);
  if (dmarc.percent !== 100) tags.push(`pct=${dmarc.percent}`);
  // RFC 7489 §6.4: a comma-separated list of URIs; the schema refuses commas inside one.
  if (dmarc.rua.length > 0) tags.push(`rua=${dmarc.rua.join(",")}`);
  if (dmarc.ruf.length > 0) tags.push(`ruf=${dmarc.ruf.join(",")}`);
  return tags.join("; ");
}

/** The `_dmarc` record of `config.domains[index]`. */
export function dmarcRecord(config: StackConfig, index: number): TxtRecord {
  const domain = config.domains[index];
  if (domain === undefined) throw new RangeError(`no domain at index ${index}`);
  return txtRecord(
    {
      zone: domain.name,
      name: `_dmarc.${domain.name}`,
      ttl: config.dns.ttl,
      comment: `DMARC: policy ${domain.dmarc.policy} for mail failing SPF and DKIM alignment`,
    },
    dmarcValue(domain.dmarc),
  );
}

/** The domain of a `mailto:` URI, or undefined for https: and other URIs. */
function mailtoDomain(uri: string): string | undefined {
  if (!uri.toLowerCase().startsWith("mailto:")) return undefined;
  const address = uri.slice("mailto:".length).replace(/!.*$/, "");
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

/**
 * RFC 7489 §7.1: reports for `<domain>` go to an address at another organization's domain only
 * if that domain publishes `<domain>._report._dmarc.<target>` TXT "v=DMARC1". When the target is
 * one of ours, we publish it. Names where one is below the other are taken as one organization
 * (we have no Public Suffix List here); targets outside our zones are their owners' to publish.
 */
export function dmarcReportAuthorizations(config: StackConfig): TxtRecord[] {
  const zones = config.domains.map((d) => d.name);
  const seen = new Set<string>();
  const records: TxtRecord[] = [];
  for (const domain of config.domains) {
    for (const uri of [...domain.dmarc.rua, ...domain.dmarc.ruf]) {
      const target = mailtoDomain(uri);
      if (target === undefined) continue;
      if (isAtOrBelow(target, domain.name) || isAtOrBelow(domain.name, target)) continue;
      const zone = zoneHolding(target, zones);
      if (zone === undefined) continue;
      const name = `${domain.name}._report._dmarc.${target}`;
      if (seen.has(name)) continue;
      seen.add(name);
      records.push(
        txtRecord(
          {
            zone,
            name,
            ttl: config.dns.ttl,
            comment: `DMARC: ${target} accepts reports about ${domain.name}`,
          },
          "v=DMARC1",
        ),
      );
    }
  }
  return records;
}
