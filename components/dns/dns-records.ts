/**
 * The stack's DNS records on Cloudflare: one `cloudflare.DnsRecord` per record that the pure
 * builder (records.ts) computes, never proxied. DKIM records take their `p=` from the keys the
 * stack generates in the same run, so a new selector is published by one `pulumi up`.
 *
 * The set of records does not depend on key values, only on the config: it is laid out once with
 * placeholder keys, and each DKIM record's content is an Output of its real key. No resource is
 * created inside `.apply()`, so `pulumi preview` shows every record even before keys exist.
 */
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../stacks/schema.ts";
import {
  cloudflareRecordArgs,
  cloudflareResourceName,
  cloudflareTxtContent,
} from "./cloudflare-record.ts";
import {
  dkimRecordName,
  dkimTxtValue,
  placeholderPublicKey,
  publicKeyProblem,
} from "./dkim-record.ts";
import { DnsRecordsError } from "./errors.ts";
import { buildDnsRecords } from "./records.ts";
import { splitTxt } from "./txt.ts";
import type { DkimPublicKey, DnsRecord } from "./types.ts";

export const DNS_RECORDS_TYPE = "mailstack:dns:DnsRecords";

/** A DKIM public key whose value may not be known until the key resource exists. */
export interface DkimPublicKeyInput {
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: DkimPublicKey["algorithm"];
  /** base64 for `p=`: the SPKI for RSA (RFC 6376 §3.6.1), the raw 32 octets for Ed25519. */
  readonly publicKey: pulumi.Input<string>;
}

export interface DnsRecordsArgs {
  /**
   * The parsed stack config. Records go to Cloudflare when `dns.provider` is `cloudflare`
   * (each domain's `cloudflareZoneId`); with `none` (the default) no resource is created and
   * the records are only exposed as the `records` output, for the plan.
   */
  readonly config: StackConfig;
  /** The public key of every published selector (pending, active, retiring) of every domain. */
  readonly dkimKeys: readonly DkimPublicKeyInput[];
}

/** The DKIM TXT content for Cloudflare, validated like the builder validates keys. */
export function dkimCloudflareContent(key: DkimPublicKey): string {
  const problem = publicKeyProblem(key.algorithm, key.publicKey);
  if (problem !== undefined) {
    throw new DnsRecordsError(
      "DKIM_KEY_INVALID",
      `${key.domain} selector ${key.selector}: bad public key: ${problem}`,
    );
  }
  return cloudflareTxtContent(splitTxt(dkimTxtValue(key.algorithm, key.publicKey)));
}

export class DnsRecords extends pulumi.ComponentResource {
  /** Every record the stack declares, with the real DKIM keys. */
  public readonly records: pulumi.Output<DnsRecord[]>;
  /** The Cloudflare records by resource name; empty when `dns.provider` is `none`. */
  public readonly cloudflareRecords: Readonly<Record<string, cloudflare.DnsRecord>>;

  constructor(name: string, args: DnsRecordsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(DNS_RECORDS_TYPE, name, {}, opts);
    const { config, dkimKeys } = args;

    // The layout: which records exist. Throws here, before any resource, for a bad config.
    const layout = buildDnsRecords(
      config,
      dkimKeys.map((k) => ({ ...k, publicKey: placeholderPublicKey(k.algorithm) })),
    );

    this.records = pulumi.all(dkimKeys.map((k) => k.publicKey)).apply((values) =>
      buildDnsRecords(
        config,
        dkimKeys.map((k, i) => ({ ...k, publicKey: values[i] ?? "" })),
      ),
    );

    const keyByName = new Map(dkimKeys.map((k) => [dkimRecordName(k.selector, k.domain), k]));
    const zoneIds = new Map(config.domains.map((d) => [d.name, d.cloudflareZoneId]));
    const created: Record<string, cloudflare.DnsRecord> = {};
    if (config.dns.provider === "cloudflare") {
      for (const record of layout) {
        const resourceName = cloudflareResourceName(name, record);
        if (resourceName in created) {
          throw new DnsRecordsError(
            "DUPLICATE_RESOURCE_NAME",
            `two records would both be named ${resourceName}`,
          );
        }
        const zoneId = zoneIds.get(record.zone);
        // The schema requires cloudflareZoneId with provider cloudflare; this guards the type.
        if (zoneId === undefined) {
          throw new Error(`${record.name}: no cloudflareZoneId for its zone ${record.zone}`);
        }
        const { data, ...plain } = cloudflareRecordArgs(record);
        const key = record.type === "TXT" ? keyByName.get(record.name) : undefined;
        const content =
          key === undefined
            ? plain.content
            : pulumi
                .output(key.publicKey)
                .apply((publicKey) => dkimCloudflareContent({ ...key, publicKey }));
        created[resourceName] = new cloudflare.DnsRecord(
          resourceName,
          { ...plain, content, zoneId, ...(data === undefined ? {} : { data: { ...data } }) },
          { parent: this },
        );
      }
    }
    this.cloudflareRecords = created;

    this.registerOutputs({ records: this.records });
  }
}
