/**
 * SMTP TLS Reporting (RFC 8460): `_smtp._tls.<domain>` tells senders where to report failures to
 * set up TLS with us (MTA-STS or STARTTLS problems). Published only when a destination is set.
 */
import type { StackConfig } from "../../stacks/schema.ts";
import { txtRecord, type TxtRecord } from "./txt.ts";

/** RFC 8460 §3: `v=TLSRPTv1; rua=<uri>[,<uri>]`. */
export function tlsRptValue(rua: readonly string[]): string {
  return `v=TLSRPTv1; rua=${rua.join(",")}`;
}

export function tlsRptRecords(config: StackConfig, index: number): TxtRecord[] {
  const domain = config.domains[index];
  if (domain === undefined) throw new RangeError(`no domain at index ${index}`);
  if (domain.tlsRpt.rua.length === 0) return [];
  return [
    txtRecord(
      {
        zone: domain.name,
        name: `_smtp._tls.${domain.name}`,
        ttl: config.dns.ttl,
        comment: "TLS-RPT: where senders report TLS failures delivering to us",
      },
      tlsRptValue(domain.tlsRpt.rua),
    ),
  ];
}
