/**
 * The choices behind the stack's certificates, as data and small pure functions, so the
 * component only wires them to providers and the tests can check them without mocks.
 */
import { ACME_DIRECTORIES, type TlsConfig } from "../../stacks/schema/tls.ts";

/**
 * The server key's algorithm. ECDSA P-256 is the default: every client and MTA the stack is tested
 * with accepts it, as do the large senders MTA-STS matters for, and it matches the local CA of
 * `npm start`. RSA 2048 is there for a deployment that must serve a client without ECDSA.
 */
export type KeyAlgorithm = "ecdsaP256" | "rsa2048";

export const DEFAULT_KEY_ALGORITHM: KeyAlgorithm = "ecdsaP256";

/** Arguments of `tls.PrivateKey` for a key algorithm. */
export function privateKeyArgs(
  algorithm: KeyAlgorithm,
): { algorithm: "ECDSA"; ecdsaCurve: "P256" } | { algorithm: "RSA"; rsaBits: 2048 } {
  return algorithm === "ecdsaP256"
    ? { algorithm: "ECDSA", ecdsaCurve: "P256" }
    : { algorithm: "RSA", rsaBits: 2048 };
}

/** The `keyType` of `acme.Certificate` (lego's names) for a key algorithm. */
export function acmeKeyType(algorithm: KeyAlgorithm): "P256" | "2048" {
  return algorithm === "ecdsaP256" ? "P256" : "2048";
}

/** Key usages of the stack CA: it signs certificates (and could sign CRLs), nothing else. */
export const CA_ALLOWED_USES: readonly string[] = ["cert_signing", "crl_signing"];

/**
 * Key usages of the server certificate. keyEncipherment only means something for RSA key
 * transport (RFC 5480 §3 forbids it with an ECDSA key), so it is set for RSA alone.
 */
export function serverAllowedUses(algorithm: KeyAlgorithm): string[] {
  return algorithm === "rsa2048"
    ? ["digital_signature", "key_encipherment", "server_auth"]
    : ["digital_signature", "server_auth"];
}

/** The margin ACME clients renew at; the self-signed certificates use it too. */
export const RENEW_BEFORE_DAYS = 30;

/** Ten years: nobody should have to re-trust the stack CA during a project's life. */
export const CA_VALIDITY_DAYS = 3650;

const HOURS_PER_DAY = 24;

/**
 * `earlyRenewalHours` for a certificate valid `validityDays`: 30 days before expiry, or a third of
 * the lifetime for short certificates, so a short certificate is not replaced on every `pulumi up`.
 */
export function earlyRenewalHours(validityDays: number): number {
  const hours = validityDays * HOURS_PER_DAY;
  return Math.min(RENEW_BEFORE_DAYS * HOURS_PER_DAY, Math.floor(hours / 3));
}

/** The stack CA outlives any certificate it issues, so it never expires under a valid leaf. */
export function caValidityDays(serverValidityDays: number): number {
  return Math.max(CA_VALIDITY_DAYS, 2 * serverValidityDays);
}

export function validityHours(days: number): number {
  return days * HOURS_PER_DAY;
}

/** The ACME directory URL of `tls.server`: a named Let's Encrypt environment or a URL. */
export function acmeDirectoryUrl(server: Extract<TlsConfig, { mode: "acme" }>["server"]): string {
  return server === "production" || server === "staging" ? ACME_DIRECTORIES[server] : server;
}

/** Concatenates PEM blocks, one newline between them and one at the end. */
export function joinPem(...parts: readonly string[]): string {
  return parts
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => `${part}\n`)
    .join("");
}
