/**
 * The local certificate authority for `npm start` and tests: created on first start in a data
 * directory, reused on every later start, and used to issue the servers' certificates, so a
 * developer trusts one file (ca.pem) once and every server, before and after restarts, is trusted.
 *
 * Keys are ECDSA P-256: every client the stack is tested with (Node, Python's ssl, OpenSSL-based
 * swaks/mutt/mbsync/fetchmail/curl, GnuTLS, Chromium) accepts it, and it is generated in
 * milliseconds where RSA takes noticeably longer on every fresh test directory.
 *
 * Certificates carry Subject and Authority Key Identifiers and a keyUsage on the CA because
 * OpenSSL's strict mode (Python 3.13 turns it on by default) rejects chains without them.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createPublicKey, type KeyObject, type webcrypto, type X509Certificate } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../fs/atomic-write.ts";
import {
  assertKeyMatches,
  parseCertificate,
  parsePrivateKey,
  readTextFile,
  readTextFileIfExists,
  validityProblem,
} from "./pem.ts";
import {
  exportPrivateKeyPem,
  generateKeyPair,
  issueCertificate,
  KEY_ALGORITHM,
} from "./certificate-builder.ts";
import { isErrnoCode, TlsError } from "./tls-errors.ts";

export { issueServerCertificate } from "./server-certificate.ts";
export type { ServerCertificate, ServerCertificateRequest } from "./server-certificate.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Ten years: long enough that nobody has to re-trust it during a project's life. */
export const CA_VALIDITY_DAYS = 3650;

/** Subject common names are capped at 64 characters (RFC 5280, ub-common-name). */
const MAX_COMMON_NAME = 64;

export interface LocalCa {
  readonly caCertPath: string;
  readonly caKeyPath: string;
  /** The CA certificate, PEM: the file clients are told to trust. */
  readonly caCert: string;
  readonly certificate: X509Certificate;
  /** SHA-256 fingerprint, colon-separated hex (as `openssl x509 -fingerprint -sha256` prints). */
  readonly fingerprint256: string;
  /** True when this call created the CA certificate; false when it reused one from disk. */
  readonly created: boolean;
  /** Signs server certificates; never leaves the process (not extractable). */
  readonly signingKey: webcrypto.CryptoKey;
}

export interface LocalCaOptions {
  /** Goes into the subject, telling CAs of different machines apart. Default os.hostname(). */
  readonly hostname?: string;
  /** The clock, injectable for tests. */
  readonly now?: () => Date;
}

/**
 * Returns the CA kept in `dir`, creating `ca-key.pem` (0600) and `ca.pem` only when absent.
 *
 * Safe to call from several processes at once: each file is created with an exclusive link, the
 * first writer wins and the others read the winner's file back. The key is written before the
 * certificate, so a crash in between leaves a key without a certificate, which the next start
 * completes; a certificate without a key is refused rather than replaced, since someone may
 * already trust it.
 */
export async function ensureLocalCa(dir: string, options: LocalCaOptions = {}): Promise<LocalCa> {
  const now = options.now?.() ?? new Date();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caCertPath = join(dir, "ca.pem");
  const caKeyPath = join(dir, "ca-key.pem");

  let certPem = await readTextFileIfExists(caCertPath);
  let keyPem = await readTextFileIfExists(caKeyPath);
  if (certPem !== undefined && keyPem === undefined) {
    const detail = `${caKeyPath} is missing; restore it, or delete ${caCertPath} to create a new CA`;
    throw new TlsError("TLS_CA_INCOMPLETE", caCertPath, detail);
  }
  let created = false;
  if (keyPem === undefined) {
    const keys = await generateKeyPair();
    keyPem = (await createOnce(caKeyPath, await exportPrivateKeyPem(keys.privateKey), 0o600)).data;
  }
  if (certPem === undefined) {
    const key = parsePrivateKey(caKeyPath, keyPem);
    const pem = await selfSignCa(key, options.hostname ?? osHostname(), now);
    ({ data: certPem, created } = await createOnce(caCertPath, pem, 0o644));
  }
  return openCa(caCertPath, certPem, caKeyPath, keyPem, now, created);
}

/** Loads an existing CA from its two files, checking that they belong together and are valid. */
export async function loadLocalCa(dir: string, options: LocalCaOptions = {}): Promise<LocalCa> {
  const caCertPath = join(dir, "ca.pem");
  const caKeyPath = join(dir, "ca-key.pem");
  const [certPem, keyPem] = await Promise.all([readTextFile(caCertPath), readTextFile(caKeyPath)]);
  return openCa(caCertPath, certPem, caKeyPath, keyPem, options.now?.() ?? new Date(), false);
}

function openCa(
  caCertPath: string,
  caCert: string,
  caKeyPath: string,
  keyPem: string,
  now: Date,
  created: boolean,
): LocalCa {
  const certificate = parseCertificate(caCertPath, caCert);
  const key = parsePrivateKey(caKeyPath, keyPem);
  assertKeyMatches(caCertPath, certificate, caKeyPath, key);
  if (!certificate.ca) throw new TlsError("TLS_NOT_CA", caCertPath);
  const problem = validityProblem(caCertPath, certificate, now);
  if (problem) {
    // Replacing the CA silently would break every client that trusts it; make it a decision.
    problem.message += `; delete ${caCertPath} and ${caKeyPath} to create a new CA`;
    throw problem;
  }
  return {
    caCertPath,
    caKeyPath,
    caCert,
    certificate,
    fingerprint256: certificate.fingerprint256,
    created,
    signingKey: toSigningKey(caKeyPath, key),
  };
}

async function selfSignCa(key: KeyObject, host: string, now: Date): Promise<string> {
  const keys: webcrypto.CryptoKeyPair = {
    privateKey: toSigningKey("(new CA key)", key),
    publicKey: createPublicKey(key).toCryptoKey(KEY_ALGORITHM, true, ["verify"]),
  };
  const prefix = "mailstack local CA (";
  const name = `${prefix}${host.slice(0, MAX_COMMON_NAME - prefix.length - 1)})`;
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const certificate = await issueCertificate({
    subject: name,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    notBefore,
    notAfter: new Date(notBefore.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    extensions: [
      // pathLength 0: this CA signs servers, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  return certificate.toString("pem") + "\n";
}

function toSigningKey(path: string, key: KeyObject): webcrypto.CryptoKey {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== "ec" || details?.namedCurve !== "prime256v1") {
    const found = `${key.asymmetricKeyType ?? "unknown"} ${details?.namedCurve ?? ""}`.trim();
    throw new TlsError("TLS_UNSUPPORTED_KEY", path, `expected ECDSA P-256, found ${found}`);
  }
  return key.toCryptoKey(KEY_ALGORITHM, false, ["sign"]);
}

/** Creates `path` unless another process got there first; returns what ended up on disk. */
async function createOnce(
  path: string,
  data: string,
  mode: number,
): Promise<{ data: string; created: boolean }> {
  try {
    await writeFileAtomic(path, data, { mode, exclusive: true });
    return { data, created: true };
  } catch (error) {
    if (!isErrnoCode(error, "EEXIST")) throw error;
    return { data: await readTextFile(path), created: false };
  }
}
