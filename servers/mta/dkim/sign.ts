/**
 * DKIM signing of submitted mail with mailauth (RFC 6376): one signature per active selector of
 * the From domain, so a domain with an RSA and an Ed25519 selector active sends both (RFC 8463
 * §3: receivers that do not know Ed25519 ignore that one and verify the RSA one).
 *
 * relaxed/relaxed canonicalization (RFC 6376 §3.4.2, §3.4.4) survives the whitespace changes
 * other MTAs make on the way. The header list is mailauth's default (From, Subject, Date, To,
 * Cc, Message-ID, MIME fields, List-*, ...); Received is never signed, it changes on every hop.
 */
import { dkimSign } from "mailauth/lib/dkim/sign.js";
import type { SigningKey } from "./keys.ts";

/** The a= tag per key algorithm (RFC 6376 §3.3, RFC 8463 §3). */
const SIGNATURE_ALGORITHM: Readonly<Record<SigningKey["algorithm"], string>> = {
  rsa2048: "rsa-sha256",
  ed25519: "ed25519-sha256",
};

export interface SignResult {
  /** The message with the DKIM-Signature fields in front; unchanged when nothing was signed. */
  readonly raw: Buffer;
  /** The selectors that signed. */
  readonly selectors: readonly string[];
  /** Keys that failed to sign, with the reason (the message goes on with the other signatures). */
  readonly errors: readonly string[];
}

export async function signMessage(
  raw: Buffer,
  keys: readonly SigningKey[],
  now: Date = new Date(),
): Promise<SignResult> {
  const [first] = keys;
  if (first === undefined) return { raw, selectors: [], errors: [] };
  const signatureData = keys.map((key) => ({
    signingDomain: key.domain,
    selector: key.selector,
    privateKey: key.privateKeyPem,
    algorithm: SIGNATURE_ALGORITHM[key.algorithm],
    canonicalization: "relaxed/relaxed",
  }));
  const result = await dkimSign(raw, {
    // mailauth signs what signatureData lists; the first entry doubles as the required defaults.
    ...signatureData[0]!,
    signatureData,
    signTime: now,
  });
  const errors = result.errors.map((e) => `${e.selector ?? "?"}: ${e.err.message}`);
  const failed = new Set(result.errors.map((e) => e.selector));
  const selectors = keys.map((k) => k.selector).filter((s) => !failed.has(s));
  if (!result.signatures) return { raw, selectors: [], errors };
  return { raw: Buffer.concat([Buffer.from(result.signatures, "latin1"), raw]), selectors, errors };
}
