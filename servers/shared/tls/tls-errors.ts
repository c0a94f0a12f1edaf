/**
 * The catalogue of certificate and key problems. Codes are stable so tests and callers match on
 * them, and every error names the file it is about, because "bad certificate" without a path sends
 * an operator hunting through a data directory.
 */

export const TLS_ERROR_CODES = {
  /** The file does not exist (a path typo, or certbot has not run yet). */
  TLS_FILE_MISSING: "file does not exist",
  /** The file exists but cannot be read (permissions, or a directory). */
  TLS_FILE_UNREADABLE: "file cannot be read",
  /** No PEM block of the expected kind (a DER file, or cert and key swapped). */
  TLS_NOT_PEM: "not a PEM file of the expected kind",
  /** A PEM block is present but does not decode as an X.509 certificate. */
  TLS_CERT_INVALID: "certificate does not parse",
  /** A PEM block is present but does not decode as a private key. */
  TLS_KEY_INVALID: "private key does not parse",
  /** The private key is not the one whose public half the certificate carries. */
  TLS_KEY_MISMATCH: "private key does not match certificate",
  /** notAfter has passed. */
  TLS_CERT_EXPIRED: "certificate has expired",
  /** notAfter is near: renewal is failing or was never set up. A warning, not an error. */
  TLS_CERT_EXPIRING: "certificate expires soon",
  /** notBefore is still in the future (a wrong clock, or a certificate dated ahead). */
  TLS_CERT_NOT_YET_VALID: "certificate is not valid yet",
  /** The certificate meant to sign others is not a CA certificate. */
  TLS_NOT_CA: "certificate is not a CA certificate",
  /** A CA certificate is present without its key, so nothing can be issued. */
  TLS_CA_INCOMPLETE: "CA certificate present but its key is missing",
  /** A key type this module does not issue with. */
  TLS_UNSUPPORTED_KEY: "unsupported key type",
  /** A requested DNS name or IP address cannot go into a certificate. */
  TLS_BAD_NAME: "invalid name for a certificate",
  /** Node refused to build a TLS context from otherwise parsable files. */
  TLS_CONTEXT_FAILED: "cannot build a TLS context",
  /** The file watcher failed; reloads stop until the material is loaded again. */
  TLS_WATCH_FAILED: "watching for certificate changes failed",
} as const;

export type TlsErrorCode = keyof typeof TLS_ERROR_CODES;

export class TlsError extends Error {
  override readonly name = "TlsError";

  constructor(
    readonly code: TlsErrorCode,
    /** The file the problem is about. */
    readonly path: string,
    /** What was found, appended to the catalogue text. */
    detail?: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${TLS_ERROR_CODES[code]}${detail ? ` (${detail})` : ""}`, options);
  }
}

export function isErrnoCode(error: unknown, code: string): boolean {
  return error instanceof Error && "code" in error && error.code === code;
}
