/**
 * The errors the record builder throws, with stable codes that tests and `mailstack plan` match
 * on. Each one names the domain and the stack-config key to change, so a bad config fails before
 * any resource is declared.
 */
export const DNS_ERROR_CODES = {
  /** SPF would need more than 10 DNS lookups: receivers answer permerror (RFC 7208 §4.6.4). */
  SPF_TOO_MANY_LOOKUPS: "SPF_TOO_MANY_LOOKUPS",
  /** The SPF record would not fit a 512-byte UDP answer (RFC 7208 §3.4). */
  SPF_TOO_LONG: "SPF_TOO_LONG",
  /** A published DKIM selector has no public key in the builder's input. */
  DKIM_KEY_MISSING: "DKIM_KEY_MISSING",
  /** The public key given for a selector is of another algorithm than the config says. */
  DKIM_KEY_MISMATCH: "DKIM_KEY_MISMATCH",
  /** The public key is not base64 (or an Ed25519 key is not 32 bytes, RFC 8463 §4.2). */
  DKIM_KEY_INVALID: "DKIM_KEY_INVALID",
  /** A record name breaks RFC 1035 §2.3.4 (label 1..63 octets, name ≤ 253) or its characters. */
  NAME_INVALID: "NAME_INVALID",
  /** A CNAME would share its name with other data (RFC 1034 §3.6.2), e.g. nested mail domains. */
  CNAME_CONFLICT: "CNAME_CONFLICT",
  /** A record is not at or below the zone it is rendered into (RFC 1035 §5.1). */
  OUTSIDE_ZONE: "OUTSIDE_ZONE",
  /** Cloudflare takes TTL 1 (automatic) or 30..86400 seconds (60 below Enterprise plans). */
  CLOUDFLARE_TTL: "CLOUDFLARE_TTL",
  /** Two Cloudflare records would get the same Pulumi resource name. */
  DUPLICATE_RESOURCE_NAME: "DUPLICATE_RESOURCE_NAME",
  /** The same record would be declared twice (Cloudflare refuses identical records). */
  DUPLICATE_RECORD: "DUPLICATE_RECORD",
} as const;

export type DnsErrorCode = keyof typeof DNS_ERROR_CODES;

export class DnsRecordsError extends Error {
  constructor(
    readonly code: DnsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DnsRecordsError";
  }
}

/** How errors name a domain's config key, the way the config loader prints key paths. */
export function domainKey(index: number, key?: string): string {
  return `mailstack:domains[${index}]${key === undefined ? "" : `.${key}`}`;
}
