/**
 * The one place that turns keys and extensions into signed X.509 certificates (through
 * @peculiar/x509 on Node's WebCrypto, since node:crypto can parse certificates but not make them).
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { randomBytes, webcrypto } from "node:crypto";

export const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;

export async function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
}

export interface CertificateRequest {
  /** The subject common name. */
  readonly subject: string;
  /** The issuing CA's certificate (PEM); omit for a self-signed certificate. */
  readonly issuerCert?: string;
  readonly publicKey: webcrypto.CryptoKey;
  /** The issuer's private key (the subject's own for a self-signed certificate). */
  readonly signingKey: webcrypto.CryptoKey;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Everything but the key identifiers, which are added here. */
  readonly extensions: readonly x509.Extension[];
}

export async function issueCertificate(request: CertificateRequest): Promise<x509.X509Certificate> {
  const subjectName = new x509.Name([{ CN: [request.subject] }]);
  const extensions = [
    ...request.extensions,
    await x509.SubjectKeyIdentifierExtension.create(request.publicKey, false, webcrypto),
  ];
  let issuerName = subjectName;
  if (request.issuerCert !== undefined) {
    const issuer = new x509.X509Certificate(request.issuerCert);
    // The exact encoded name, so issuer/subject matching never depends on string round-trips.
    issuerName = issuer.subjectName;
    const issuerKeyId = issuer.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    extensions.push(
      issuerKeyId === undefined
        ? await x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey, false, webcrypto)
        : new x509.AuthorityKeyIdentifierExtension(issuerKeyId),
    );
  }
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: subjectName,
      issuer: issuerName,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      publicKey: request.publicKey,
      signingKey: request.signingKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions,
    },
    webcrypto,
  );
}

export async function exportPrivateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY") + "\n";
}

/**
 * 128 random bits, positive and without a leading zero byte: RFC 5280 4.1.2.2 wants a positive
 * integer of at most 20 octets, and unpredictable serials are what the CA/Browser Forum asks for.
 */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString("hex");
}
