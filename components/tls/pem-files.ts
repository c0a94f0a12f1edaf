/**
 * `tls.mode: files`: a certificate and key managed outside the stack (a corporate CA, another
 * ACME client), read from the deploying machine when the Pulumi program runs. A missing file, a
 * file that is not PEM or a key that does not belong to the certificate fails the program before
 * anything is declared, naming the config key and the path, so nobody deploys a broken pair.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { TlsConfig } from "../../stacks/schema/tls.ts";
import { RENEW_BEFORE_DAYS } from "./certificate-policy.ts";

export type FilesConfig = Extract<TlsConfig, { mode: "files" }>;

export type TlsFileErrorCode =
  | "TLS_FILE_MISSING"
  | "TLS_FILE_UNREADABLE"
  | "TLS_NOT_PEM"
  | "TLS_CERT_INVALID"
  | "TLS_KEY_INVALID"
  | "TLS_KEY_MISMATCH";

/** A RunError, so Pulumi prints the message alone rather than a stack trace. */
export class TlsFileError extends pulumi.RunError {
  constructor(
    readonly code: TlsFileErrorCode,
    /** The config key, e.g. `mailstack:tls.certFile`. */
    readonly key: string,
    /** The path as resolved from the working directory. */
    readonly path: string,
    detail: string,
  ) {
    super(`${key}: ${path}: ${detail}`);
    this.name = "TlsFileError";
  }
}

export interface PemFiles {
  readonly certificatePem: string;
  /** Certificates after the leaf in certFile, then those of chainFile. */
  readonly chainPem: string;
  readonly privateKeyPem: string;
  readonly notAfter: string;
  /** Problems worth telling the operator that do not stop a deployment. */
  readonly warnings: readonly string[];
}

export interface ReadOptions {
  /** Relative paths are resolved from here: the Pulumi project root, where the program runs. */
  readonly baseDir: string;
  /** The names the certificate should cover (certificateNames); missing ones are warned about. */
  readonly names: readonly string[];
  readonly now?: Date;
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
// PKCS#8, PKCS#1 (RSA) and SEC 1 (EC) keys are all common in the wild.
const PRIVATE_KEY_BLOCK =
  /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/;
const DAY_MS = 24 * 60 * 60 * 1000;

export function readCertificateFiles(config: FilesConfig, options: ReadOptions): PemFiles {
  const certKey = "mailstack:tls.certFile";
  const certPath = resolve(options.baseDir, config.certFile);
  const certBlocks = certificateBlocks(certKey, certPath, readText(certKey, certPath));
  const [leafPem = "", ...intermediates] = certBlocks;
  const leaf = parseCertificate(certKey, certPath, leafPem);

  const keyKey = "mailstack:tls.keyFile";
  const keyPath = resolve(options.baseDir, config.keyFile);
  const { key, pem: keyPem } = parsePrivateKey(keyKey, keyPath, readText(keyKey, keyPath));
  if (!leaf.checkPrivateKey(key)) {
    throw new TlsFileError(
      "TLS_KEY_MISMATCH",
      keyKey,
      keyPath,
      `the key does not belong to the certificate in ${certPath}`,
    );
  }

  const chain = [...intermediates];
  if (config.chainFile !== undefined) {
    const chainKey = "mailstack:tls.chainFile";
    const chainPath = resolve(options.baseDir, config.chainFile);
    const blocks = certificateBlocks(chainKey, chainPath, readText(chainKey, chainPath));
    blocks.forEach((block) => parseCertificate(chainKey, chainPath, block));
    chain.push(...blocks);
  }

  return {
    certificatePem: leafPem,
    chainPem: chain.join(""),
    privateKeyPem: keyPem,
    notAfter: leaf.validToDate.toISOString(),
    warnings: warningsFor(certPath, leaf, options),
  };
}

function warningsFor(path: string, leaf: X509Certificate, options: ReadOptions): string[] {
  const warnings: string[] = [];
  const uncovered = options.names.filter((name) => leaf.checkHost(name) === undefined);
  if (uncovered.length > 0) {
    warnings.push(
      `mailstack:tls.certFile: ${path} does not cover ${uncovered.join(", ")}; clients and MTA-STS senders will reject it for those names`,
    );
  }
  const now = options.now ?? new Date();
  const daysLeft = Math.floor((leaf.validToDate.getTime() - now.getTime()) / DAY_MS);
  if (daysLeft < 0) {
    warnings.push(`mailstack:tls.certFile: ${path} expired on ${leaf.validToDate.toISOString()}`);
  } else if (daysLeft < RENEW_BEFORE_DAYS) {
    warnings.push(`mailstack:tls.certFile: ${path} expires in ${daysLeft} days; renew it`);
  }
  return warnings;
}

function readText(key: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new TlsFileError("TLS_FILE_MISSING", key, path, "no such file");
    throw new TlsFileError("TLS_FILE_UNREADABLE", key, path, code ?? String(error));
  }
}

function certificateBlocks(key: string, path: string, text: string): string[] {
  const blocks = [...text.matchAll(CERTIFICATE_BLOCK)].map((match) => `${match[0]}\n`);
  if (blocks.length === 0) {
    throw new TlsFileError("TLS_NOT_PEM", key, path, "expected -----BEGIN CERTIFICATE-----");
  }
  return blocks;
}

function parseCertificate(key: string, path: string, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new TlsFileError("TLS_CERT_INVALID", key, path, (error as Error).message);
  }
}

/** The key and its PEM block alone (a key file may also hold EC parameters or the certificate). */
function parsePrivateKey(key: string, path: string, text: string): { key: KeyObject; pem: string } {
  const match = PRIVATE_KEY_BLOCK.exec(text);
  const kind = match?.[1];
  if (match === null || kind === undefined) {
    throw new TlsFileError("TLS_NOT_PEM", key, path, "expected -----BEGIN PRIVATE KEY-----");
  }
  if (kind === "ENCRYPTED PRIVATE KEY") {
    // The servers start unattended: nobody is there to type a passphrase.
    throw new TlsFileError(
      "TLS_KEY_INVALID",
      key,
      path,
      "the key is encrypted; store it unencrypted",
    );
  }
  try {
    return { key: createPrivateKey({ key: match[0], format: "pem" }), pem: `${match[0]}\n` };
  } catch (error) {
    throw new TlsFileError("TLS_KEY_INVALID", key, path, (error as Error).message);
  }
}
