/**
 * One DNS record as the stack publishes it. The pure builder (records.ts) makes these; the
 * Cloudflare component, the zone file of `mailstack plan` and the local runner all consume them.
 */
export type DnsRecordType = "A" | "AAAA" | "CNAME" | "MX" | "TXT" | "SRV" | "CAA";

export interface DnsRecordBase {
  /** The zone (the mail domain) the record belongs to, e.g. `example.com`. */
  readonly zone: string;
  /** Fully qualified owner name without the trailing dot, e.g. `_dmarc.example.com`. */
  readonly name: string;
  /** Seconds; 1 means "automatic" on Cloudflare. */
  readonly ttl: number;
  /** Why the record exists, for plans and Cloudflare's comment field. */
  readonly comment: string;
}

export type DnsRecord = DnsRecordBase &
  (
    | { readonly type: "A" | "AAAA"; readonly address: string }
    | { readonly type: "CNAME"; readonly target: string }
    | { readonly type: "MX"; readonly priority: number; readonly target: string }
    /**
     * `value` is the whole logical string (e.g. a DKIM record); `strings` is it split into the
     * <=255-byte character-strings DNS carries (RFC 1035 §3.3.14, RFC 7208 §3.3).
     */
    | { readonly type: "TXT"; readonly value: string; readonly strings: readonly string[] }
    | {
        readonly type: "SRV";
        readonly priority: number;
        readonly weight: number;
        readonly port: number;
        /** "." means "service not offered here" (RFC 2782, RFC 6186 §4). */
        readonly target: string;
      }
    | {
        readonly type: "CAA";
        readonly flags: number;
        readonly tag: "issue" | "issuewild" | "iodef";
        readonly value: string;
      }
  );

/** The public half of a DKIM key as it goes into the `p=` tag, per domain and selector. */
export interface DkimPublicKey {
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: "rsa2048" | "ed25519";
  /** base64 of the SubjectPublicKeyInfo (RSA, RFC 6376 §3.6.1) or of the raw 32-byte key (Ed25519, RFC 8463 §4.2). */
  readonly publicKey: string;
}
