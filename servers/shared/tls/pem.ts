/**
 * Reading and checking PEM certificate and key files, shared by the local CA (which reads back
 * what it wrote) and the TLS material loader (which reads what an operator or ACME client wrote).
 * Every failure is a TlsError naming the file.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { isErrnoCode, TlsError } from "./tls-errors.ts";

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
// PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") and SEC 1 ("EC PRIVATE KEY") are all common.
const PRIVATE_KEY_BLOCK = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----/;

export function readTextFileSync(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw fileError(path, error);
  }
}

export async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw fileError(path, error);
  }
}

/** Reads a file, or undefined when it does not exist (any other failure still throws). */
export async function readTextFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (isErrnoCode(error, "ENOENT")) return undefined;
    throw fileError(path, error);
  }
}

function fileError(path: string, error: unknown): TlsError {
  const code = isErrnoCode(error, "ENOENT") ? "TLS_FILE_MISSING" : "TLS_FILE_UNREADABLE";
  const detail = error instanceof Error ? error.message : String(error);
  return new TlsError(code, path, code === "TLS_FILE_MISSING" ? undefined : detail, {
    cause: error,
  });
}

/** The PEM certificate blocks of a file, in order (leaf first in a chain file). */
export function certificateBlocks(text: string): string[] {
  return [...text.matchAll(CERTIFICATE_BLOCK)].map((match) => `${match[0]}\n`);
}

/** Parses every certificate of a PEM file; the first is the one the key belongs to. */
export function parseCertificateChain(path: string, text: string): X509Certificate[] {
  const blocks = certificateBlocks(text);
  if (blocks.length === 0) {
    throw new TlsError("TLS_NOT_PEM", path, "expected -----BEGIN CERTIFICATE-----");
  }
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      const detail = `block ${index + 1}: ${error instanceof Error ? error.message : String(error)}`;
      throw new TlsError("TLS_CERT_INVALID", path, detail, { cause: error });
    }
  });
}

export function parseCertificate(path: string, text: string): X509Certificate {
  const [leaf] = parseCertificateChain(path, text);
  // parseCertificateChain throws on an empty file, so leaf is always there.
  if (!leaf) throw new TlsError("TLS_NOT_PEM", path);
  return leaf;
}

export function parsePrivateKey(path: string, text: string): KeyObject {
  const kind = PRIVATE_KEY_BLOCK.exec(text)?.[1];
  if (!kind) throw new TlsError("TLS_NOT_PEM", path, "expected -----BEGIN PRIVATE KEY-----");
  if (kind === "ENCRYPTED PRIVATE KEY") {
    // Servers start unattended, so there is nobody to type a passphrase.
    throw new TlsError("TLS_KEY_INVALID", path, "the key is encrypted; store it unencrypted");
  }
  try {
    return createPrivateKey({ key: text, format: "pem" });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new TlsError("TLS_KEY_INVALID", path, detail, { cause: error });
  }
}

export function assertKeyMatches(
  certPath: string,
  certificate: X509Certificate,
  keyPath: string,
  key: KeyObject,
): void {
  if (!certificate.checkPrivateKey(key)) {
    throw new TlsError("TLS_KEY_MISMATCH", keyPath, `certificate ${certPath}`);
  }
}

/** Why the certificate is not usable at `now`, or undefined when it is within its validity. */
export function validityProblem(
  path: string,
  certificate: X509Certificate,
  now: Date,
): TlsError | undefined {
  if (certificate.validToDate.getTime() <= now.getTime()) {
    return new TlsError(
      "TLS_CERT_EXPIRED",
      path,
      `notAfter ${certificate.validToDate.toISOString()}`,
    );
  }
  if (certificate.validFromDate.getTime() > now.getTime()) {
    const detail = `notBefore ${certificate.validFromDate.toISOString()}`;
    return new TlsError("TLS_CERT_NOT_YET_VALID", path, detail);
  }
  return undefined;
}
