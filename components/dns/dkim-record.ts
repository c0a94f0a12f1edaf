/**
 * DKIM key records (RFC 6376 §3.6.1): `<selector>._domainkey.<domain>` TXT holding the public
 * half of each selector that receivers may still meet in signatures: pending (published ahead of
 * signing so the record has spread), active (signing) and retiring (old signatures still verify).
 */
import type { StackConfig } from "../../stacks/schema.ts";
import type { DKIM_STATES } from "../../stacks/schema/dkim.ts";
import { DnsRecordsError, domainKey } from "./errors.ts";
import { txtRecord, type TxtRecord } from "./txt.ts";
import type { DkimPublicKey } from "./types.ts";

type Algorithm = DkimPublicKey["algorithm"];

/** Every state publishes its key; the list is here so a new state has to be decided on. */
export const PUBLISHED_DKIM_STATES: readonly (typeof DKIM_STATES)[number][] = [
  "pending",
  "active",
  "retiring",
];

/** RFC 6376 §3.6.1 `k=`; RFC 8463 §3 registers `ed25519`. */
const KEY_TYPE: Readonly<Record<Algorithm, string>> = { rsa2048: "rsa", ed25519: "ed25519" };

/**
 * Base64 lengths of keys of each algorithm: an RSA-2048 SubjectPublicKeyInfo is 294 octets (392
 * base64 characters), an Ed25519 key 32 raw octets (44 characters, RFC 8463 §4.2).
 */
const KEY_BASE64_LENGTH: Readonly<Record<Algorithm, number>> = { rsa2048: 392, ed25519: 44 };

/** RFC 6376 §3.6.1: the record's owner name. */
export function dkimRecordName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}

/** The record text: `v=DKIM1; k=rsa; p=<base64>`. */
export function dkimTxtValue(algorithm: Algorithm, publicKey: string): string {
  return `v=DKIM1; k=${KEY_TYPE[algorithm]}; p=${publicKey}`;
}

/**
 * A stand-in public key of the real size and alphabet (all zero octets), for when the real key
 * does not exist yet: `mailstack plan` without a Pulumi engine, and the DnsRecords component when
 * it lays out its records before the keys are generated. The record set never depends on it.
 */
export function placeholderPublicKey(algorithm: Algorithm): string {
  const length = KEY_BASE64_LENGTH[algorithm];
  return algorithm === "ed25519" ? `${"A".repeat(length - 1)}=` : "A".repeat(length);
}

/**
 * Why `publicKey` cannot go into `p=` as RFC 6376 §3.6.1 writes it (base64 characters, optional
 * padding), or undefined. This is all the builder asks, so `mailstack plan` may pass a readable
 * stand-in; the size check below is for real keys.
 */
export function publicKeySyntaxProblem(publicKey: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(publicKey)) {
    return "expected base64 without PEM armour, spaces or line breaks";
  }
  return undefined;
}

/** As publicKeySyntaxProblem, and the key must decode to the algorithm's size. */
export function publicKeyProblem(algorithm: Algorithm, publicKey: string): string | undefined {
  const syntax = publicKeySyntaxProblem(publicKey);
  if (syntax !== undefined) return syntax;
  if (publicKey.length % 4 !== 0) return "expected base64 (a multiple of 4 characters)";
  if (algorithm === "ed25519" && Buffer.from(publicKey, "base64").length !== 32) {
    return "an Ed25519 key is the raw 32-octet public key (RFC 8463 §4.2), not its SPKI";
  }
  return undefined;
}

/** The DKIM records of `config.domains[index]`, in config order. */
export function dkimRecords(
  config: StackConfig,
  index: number,
  keys: readonly DkimPublicKey[],
): TxtRecord[] {
  const domain = config.domains[index];
  if (domain === undefined) throw new RangeError(`no domain at index ${index}`);
  return domain.dkim.flatMap((selector, i): TxtRecord[] => {
    if (!PUBLISHED_DKIM_STATES.includes(selector.state)) return [];
    const where = `${domain.name} selector ${selector.selector} (${domainKey(index, `dkim[${i}]`)})`;
    const key = keys.find((k) => k.domain === domain.name && k.selector === selector.selector);
    if (key === undefined) {
      throw new DnsRecordsError(
        "DKIM_KEY_MISSING",
        `${where}: no public key was given for it; the caller must pass one key per published selector`,
      );
    }
    if (key.algorithm !== selector.algorithm) {
      throw new DnsRecordsError(
        "DKIM_KEY_MISMATCH",
        `${where}: the config says ${selector.algorithm} but the key given is ${key.algorithm}`,
      );
    }
    const problem = publicKeySyntaxProblem(key.publicKey);
    if (problem !== undefined) {
      throw new DnsRecordsError("DKIM_KEY_INVALID", `${where}: bad public key: ${problem}`);
    }
    return [
      txtRecord(
        {
          zone: domain.name,
          name: dkimRecordName(selector.selector, domain.name),
          ttl: config.dns.ttl,
          comment: `DKIM: ${selector.algorithm} key of selector ${selector.selector} (${selector.state})`,
        },
        dkimTxtValue(key.algorithm, key.publicKey),
      ),
    ];
  });
}
