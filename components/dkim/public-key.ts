/**
 * The public half of a DKIM key as DNS publishes it: the `p=` value and the whole TXT record
 * value at `<selector>._domainkey.<domain>`. Pure: the DkimKeys component calls it on the PEM that
 * @pulumi/tls returns, and `mailstack plan`, the local runner and the tests call it on keys of
 * their own.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import type { DkimSelector } from "../../stacks/schema/dkim.ts";

export type DkimAlgorithm = DkimSelector["algorithm"];

/** The `k=` tag of each algorithm (RFC 6376 §3.6.1 registers rsa; RFC 8463 §4.2 adds ed25519). */
export const DKIM_KEY_TYPE: Readonly<Record<DkimAlgorithm, "rsa" | "ed25519">> = {
  rsa2048: "rsa",
  ed25519: "ed25519",
};

/**
 * The `p=` value for a public key given as PEM (SPKI "PUBLIC KEY", or PKCS#1 "RSA PUBLIC KEY").
 *
 * - RSA: base64 of the DER SubjectPublicKeyInfo (RFC 6376 §3.6.1, "an RSA public key ... in
 *   SubjectPublicKeyInfo format"). 2048 bits, the size RFC 8301 §3.2 recommends signers use.
 * - Ed25519: base64 of the bare 32-byte public key, not wrapped in SPKI (RFC 8463 §4.2). The JWK
 *   `x` member is exactly those 32 bytes (RFC 8037 §2).
 *
 * Throws when the key is not of the algorithm the selector declares: publishing an Ed25519 key
 * under `k=rsa` would make every signature fail, so it is better caught here than by receivers.
 */
export function dkimPublicKeyValue(publicKeyPem: string, algorithm: DkimAlgorithm): string {
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyPem);
  } catch (error) {
    throw new Error(`not a PEM public key: ${(error as Error).message}`);
  }
  if (algorithm === "rsa2048") {
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (key.asymmetricKeyType !== "rsa" || bits !== 2048) {
      throw new Error(
        `expected a 2048-bit RSA public key for rsa2048, got ${describeKey(key.asymmetricKeyType, bits)}`,
      );
    }
    return key.export({ type: "spki", format: "der" }).toString("base64");
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new Error(
      `expected an Ed25519 public key for ed25519, got ${describeKey(key.asymmetricKeyType, key.asymmetricKeyDetails?.modulusLength)}`,
    );
  }
  const { x } = key.export({ format: "jwk" });
  if (x === undefined) throw new Error("the Ed25519 key has no public part");
  const raw = Buffer.from(x, "base64url");
  if (raw.length !== 32) throw new Error(`an Ed25519 public key has 32 bytes, got ${raw.length}`);
  return raw.toString("base64");
}

/**
 * The TXT record value at `<selector>._domainkey.<domain>` (RFC 6376 §3.6.1). `v=DKIM1` comes
 * first as the RFC requires when present; `k=` is written even for RSA (its default) so the
 * record says what it holds. Splitting into 255-byte strings is the DNS builder's job.
 */
export function dkimTxtValue(algorithm: DkimAlgorithm, publicKey: string): string {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(publicKey)) {
    throw new Error("the p= value must be base64 (RFC 6376 §3.6.1)");
  }
  return `v=DKIM1; k=${DKIM_KEY_TYPE[algorithm]}; p=${publicKey}`;
}

function describeKey(type: string | undefined, bits: number | undefined): string {
  return `key type ${type ?? "unknown"}${bits === undefined ? "" : ` of ${bits} bits`}`;
}
