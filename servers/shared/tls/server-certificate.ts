/**
 * Server certificates issued by the local CA. A certificate on disk is kept while it is still
 * good for the names asked for, so restarts do not churn keys; it is replaced when it is missing,
 * unreadable, paired with the wrong key, signed by another CA, about to expire, or missing a name.
 *
 * Issue each name from one process (the local runner); two processes reissuing the same name at
 * the same moment could leave one's key beside the other's certificate, which the next call
 * detects and repairs but a server reading the pair in between would reject.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { mkdir } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { writeFileAtomic } from "../fs/atomic-write.ts";
import { exportPrivateKeyPem, generateKeyPair, issueCertificate } from "./certificate-builder.ts";
import type { LocalCa } from "./local-ca.ts";
import { parseCertificate, parsePrivateKey, readTextFileIfExists } from "./pem.ts";
import { TlsError } from "./tls-errors.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Apple and the CA/Browser Forum reject TLS server certificates valid for more than 398 days. */
export const SERVER_VALIDITY_DAYS = 397;
/** Reissue this long before expiry, the margin ACME clients use too. */
export const RENEW_BEFORE_DAYS = 30;
/** Backdating absorbs clock skew between this machine and a client's (VMs, containers). */
const BACKDATE_MS = 60 * 60 * 1000;

// RFC 1123 host names: letters, digits, hyphens inside labels, at most 253 characters in all.
const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DNS_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

export interface ServerCertificateRequest {
  /** Host names to put in subjectAltName; the first is also the subject CN. */
  readonly dnsNames: readonly string[];
  /** IPv4 or IPv6 addresses for subjectAltName (clients connecting by address check these). */
  readonly ipAddresses: readonly string[];
  /** Where `<name>.pem` and `<name>-key.pem` live. Created 0700 when missing. */
  readonly dir: string;
  /** File name stem, e.g. "mta". */
  readonly name: string;
  /** The clock, injectable for tests. */
  readonly now?: () => Date;
}

export interface ServerCertificate {
  /** Leaf certificate followed by the CA certificate. */
  readonly certPath: string;
  /** The leaf's private key, mode 0600. */
  readonly keyPath: string;
  /** True when this call wrote a new certificate and key. */
  readonly issued: boolean;
  /** Why the existing certificate was replaced (or "missing"); undefined when it was kept. */
  readonly reason: string | undefined;
  readonly fingerprint256: string;
  readonly validTo: Date;
}

export async function issueServerCertificate(
  ca: LocalCa,
  request: ServerCertificateRequest,
): Promise<ServerCertificate> {
  const now = request.now?.() ?? new Date();
  const dnsNames = normalizeDnsNames(request);
  const ipAddresses = normalizeIpAddresses(request);
  if (/[/\\]/.test(request.name) || request.name === "" || request.name.startsWith(".")) {
    throw new TlsError(
      "TLS_BAD_NAME",
      request.dir,
      `file name stem ${JSON.stringify(request.name)}`,
    );
  }
  const certPath = join(request.dir, `${request.name}.pem`);
  const keyPath = join(request.dir, `${request.name}-key.pem`);

  const [certPem, keyPem] = await Promise.all([
    readTextFileIfExists(certPath),
    readTextFileIfExists(keyPath),
  ]);
  const reason = reissueReason(ca, certPath, certPem, keyPath, keyPem, dnsNames, ipAddresses, now);
  if (reason === undefined && certPem !== undefined) {
    const existing = parseCertificate(certPath, certPem);
    return {
      certPath,
      keyPath,
      issued: false,
      reason,
      fingerprint256: existing.fingerprint256,
      validTo: existing.validToDate,
    };
  }

  const keys = await generateKeyPair();
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const leaf = await issueCertificate({
    subject: dnsNames[0] ?? ipAddresses[0] ?? "",
    issuerCert: ca.caCert,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    notBefore,
    notAfter: new Date(notBefore.getTime() + SERVER_VALIDITY_DAYS * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // digitalSignature alone: ECDHE with an ECDSA key signs, it never encrypts a key.
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
      ]),
    ],
  });
  const certOut = `${leaf.toString("pem")}\n${ca.caCert.trimEnd()}\n`;

  await mkdir(request.dir, { recursive: true, mode: 0o700 });
  // Key first: a watcher that sees only the first rename then finds a mismatched pair and keeps
  // its old context until the certificate follows, instead of serving a key it cannot use.
  await writeFileAtomic(keyPath, await exportPrivateKeyPem(keys.privateKey), { mode: 0o600 });
  await writeFileAtomic(certPath, certOut, { mode: 0o644 });
  const written = parseCertificate(certPath, certOut);
  return {
    certPath,
    keyPath,
    issued: true,
    reason,
    fingerprint256: written.fingerprint256,
    validTo: written.validToDate,
  };
}

/** Why the pair on disk cannot be kept, or undefined when it can. */
function reissueReason(
  ca: LocalCa,
  certPath: string,
  certPem: string | undefined,
  keyPath: string,
  keyPem: string | undefined,
  dnsNames: readonly string[],
  ipAddresses: readonly string[],
  now: Date,
): string | undefined {
  if (certPem === undefined || keyPem === undefined) return "missing";
  let leaf;
  try {
    leaf = parseCertificate(certPath, certPem);
    if (!leaf.checkPrivateKey(parsePrivateKey(keyPath, keyPem))) {
      return "key does not match certificate";
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (!leaf.checkIssued(ca.certificate) || !leaf.verify(ca.certificate.publicKey)) {
    return "issued by a different CA";
  }
  if (leaf.validToDate.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) {
    return `expires within ${RENEW_BEFORE_DAYS} days (${leaf.validToDate.toISOString()})`;
  }
  if (leaf.validFromDate.getTime() > now.getTime()) return "not valid yet";
  const missing = [
    // subject "never" and no wildcards: only an exact subjectAltName entry counts as coverage.
    ...dnsNames.filter((name) => !leaf.checkHost(name, { subject: "never", wildcards: false })),
    ...ipAddresses.filter((address) => !leaf.checkIP(address)),
  ];
  if (missing.length > 0) return `does not cover ${missing.join(", ")}`;
  return undefined;
}

function normalizeDnsNames(request: ServerCertificateRequest): string[] {
  const names = request.dnsNames.map((name) => name.trim().toLowerCase().replace(/\.$/, ""));
  for (const name of names) {
    if (name.length > 253 || !DNS_NAME.test(name)) {
      throw new TlsError("TLS_BAD_NAME", request.dir, `DNS name ${JSON.stringify(name)}`);
    }
  }
  if (names.length === 0 && request.ipAddresses.length === 0) {
    throw new TlsError("TLS_BAD_NAME", request.dir, "no DNS names or IP addresses requested");
  }
  return [...new Set(names)];
}

function normalizeIpAddresses(request: ServerCertificateRequest): string[] {
  const addresses = request.ipAddresses.map((address) => address.trim());
  for (const address of addresses) {
    if (isIP(address) === 0) {
      throw new TlsError("TLS_BAD_NAME", request.dir, `IP address ${JSON.stringify(address)}`);
    }
  }
  return [...new Set(addresses)];
}
