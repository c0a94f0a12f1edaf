/**
 * MTA-STS (RFC 8461): senders fetch our policy from https://mta-sts.<domain>/.well-known/mta-sts.txt
 * and learn from the `_mta-sts.<domain>` TXT record's `id` when to fetch it again. The id here is a
 * hash of the policy text, so it changes exactly when the policy does and never by accident.
 */
import { createHash } from "node:crypto";
import type { StackConfig } from "../../stacks/schema.ts";
import { txtRecord, type TxtRecord } from "./txt.ts";

/** RFC 8461 §3.1: `id` is 1 to 32 letters and digits. */
export const MTA_STS_ID_LENGTH = 32;

/**
 * The policy file (RFC 8461 §3.2). The prose calls for CRLF-separated lines and the ABNF accepts
 * CRLF or LF (`sts-policy-term`); CRLF satisfies both readings. The one `mx` line is our host;
 * it is written in mode `none` too (allowed, and it keeps the file the same shape).
 */
export function mtaStsPolicy(config: StackConfig, domain: string): string {
  const entry = config.domains.find((d) => d.name === domain);
  if (entry === undefined) throw new RangeError(`${domain} is not one of this stack's domains`);
  const lines = [
    "version: STSv1",
    `mode: ${entry.mtaSts.mode}`,
    `mx: ${config.hostname}`,
    `max_age: ${entry.mtaSts.maxAge}`,
  ];
  return lines.map((line) => `${line}\r\n`).join("");
}

/** The first 32 hex digits (128 bits) of the policy's SHA-256: letters and digits, as §3.1 wants. */
export function mtaStsPolicyId(policyText: string): string {
  return createHash("sha256").update(policyText, "utf8").digest("hex").slice(0, MTA_STS_ID_LENGTH);
}

/**
 * The `_mta-sts` TXT record of `config.domains[index]`. Mode `none` is published as well: it is
 * how a policy is withdrawn (RFC 8461 §8.3), senders drop their cached copy when they see it.
 */
export function mtaStsRecord(config: StackConfig, index: number): TxtRecord {
  const domain = config.domains[index];
  if (domain === undefined) throw new RangeError(`no domain at index ${index}`);
  const id = mtaStsPolicyId(mtaStsPolicy(config, domain.name));
  return txtRecord(
    {
      zone: domain.name,
      name: `_mta-sts.${domain.name}`,
      ttl: config.dns.ttl,
      comment: `MTA-STS: policy ${domain.mtaSts.mode}; id changes with the policy text`,
    },
    `v=STSv1; id=${id}`,
  );
}
