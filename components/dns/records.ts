/**
 * Everything the stack publishes in DNS, from the stack config alone: one pure function that the
 * DnsRecords component, `mailstack plan`, the local runner and the tests share.
 *
 * Per domain, in its own zone: MX; the host's A/AAAA (see below); SPF; DKIM per published
 * selector; DMARC; MTA-STS (TXT and the `mta-sts` host name); TLS-RPT when configured; the SRV
 * records of RFC 6186 / RFC 8314; `autoconfig` and `autodiscover`; CAA. Plus, in the zone of a
 * domain that receives another's DMARC reports, the authorization record of RFC 7489 §7.1.
 *
 * The mail host's A/AAAA go into the zone of the domain that holds the host name (the longest
 * one, should domains nest). When no domain holds it (mail.provider.net serving example.com), the
 * host's addresses are in a zone this stack does not manage, and no A/AAAA are written: whoever
 * owns that zone publishes them. With no configured addresses there are none either.
 */
import type { StackConfig } from "../../stacks/schema.ts";
import { caaRecords } from "./caa.ts";
import { dkimRecords } from "./dkim-record.ts";
import { dmarcRecord, dmarcReportAuthorizations } from "./dmarc.ts";
import { DnsRecordsError } from "./errors.ts";
import { hostAddressRecords, hostAlias, mxRecord } from "./host.ts";
import { mtaStsRecord } from "./mta-sts.ts";
import { checkName, isAtOrBelow, zoneHolding } from "./names.ts";
import { spfRecord } from "./spf.ts";
import { srvRecords } from "./srv.ts";
import { tlsRptRecords } from "./tls-rpt.ts";
import type { DkimPublicKey, DnsRecord } from "./types.ts";

export { caaIssuers } from "./caa.ts";
export { dkimRecordName, dkimTxtValue, placeholderPublicKey } from "./dkim-record.ts";
export { dmarcValue } from "./dmarc.ts";
export { DnsRecordsError, type DnsErrorCode } from "./errors.ts";
export { mtaStsPolicy, mtaStsPolicyId } from "./mta-sts.ts";
export { spfLookupCount, spfValue, SPF_MAX_LOOKUPS } from "./spf.ts";
export { splitTxt, txtPresentation } from "./txt.ts";

/**
 * The records of every domain of `config`, zone by zone in config order. `dkimKeys` must hold
 * the public key of every published selector (`placeholderPublicKey` stands in when the real
 * ones are not known yet). Throws a DnsRecordsError naming the config key when the result
 * would not work: too many SPF lookups, a missing key, a name DNS cannot carry, a CNAME clash.
 */
export function buildDnsRecords(
  config: StackConfig,
  dkimKeys: readonly DkimPublicKey[],
): DnsRecord[] {
  const zones = config.domains.map((d) => d.name);
  const hostZone = zoneHolding(config.hostname, zones);
  const perZone = new Map<string, DnsRecord[]>(
    config.domains.map((domain, index) => {
      const name = domain.name;
      const records: DnsRecord[] = [
        mxRecord(config, name),
        ...(hostZone === name ? hostAddressRecords(config, name) : []),
        spfRecord(config, index),
        ...dkimRecords(config, index, dkimKeys),
        dmarcRecord(config, index),
        mtaStsRecord(config, index),
        ...hostAlias(config, name, "mta-sts", "MTA-STS: serves the policy file over HTTPS"),
        ...tlsRptRecords(config, index),
        ...srvRecords(config, index),
        ...hostAlias(config, name, "autoconfig", "client setup (Thunderbird autoconfig)"),
        ...hostAlias(config, name, "autodiscover", "client setup (Outlook autodiscover)"),
        ...caaRecords(config, index),
      ];
      return [name, records];
    }),
  );
  for (const record of dmarcReportAuthorizations(config)) perZone.get(record.zone)?.push(record);
  const all = [...perZone.values()].flat();
  checkRecords(all);
  return all;
}

/** The data of a record without its comment, to compare records for sameness. */
function identity(record: DnsRecord): string {
  const { comment: _comment, ...rest } = record;
  return JSON.stringify(rest);
}

/**
 * What a DNS server or Cloudflare would refuse: bad names, records outside their zone, a CNAME
 * beside other data (RFC 1034 §3.6.2, RFC 2181 §10.1), the same record twice.
 */
export function checkRecords(records: readonly DnsRecord[]): void {
  const typesAt = new Map<string, DnsRecord["type"][]>();
  const seen = new Set<string>();
  for (const record of records) {
    const what = `${record.type} record ${record.name} (${record.comment})`;
    checkName(record.name, what);
    if (!isAtOrBelow(record.name, record.zone)) {
      throw new DnsRecordsError("OUTSIDE_ZONE", `${what} is not in its zone ${record.zone}`);
    }
    if (record.type === "CNAME" || record.type === "MX" || record.type === "SRV") {
      if (record.target !== ".") checkName(record.target, `${what}, its target`);
    }
    const key = identity(record);
    if (seen.has(key)) {
      throw new DnsRecordsError("DUPLICATE_RECORD", `${what} would be published twice`);
    }
    seen.add(key);
    const types = typesAt.get(record.name) ?? [];
    types.push(record.type);
    typesAt.set(record.name, types);
  }
  for (const [name, types] of typesAt) {
    if (types.includes("CNAME") && types.length > 1) {
      const others = types.filter((t, i) => t !== "CNAME" || types.indexOf(t) !== i);
      throw new DnsRecordsError(
        "CNAME_CONFLICT",
        `${name}: a CNAME cannot share its name with ${others.join(", ")} (RFC 1034 §3.6.2); a mail domain or mailstack:hostname takes a name this stack gives another mail domain's autoconfig, autodiscover or mta-sts alias`,
      );
    }
  }
}
