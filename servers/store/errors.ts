/**
 * Errors of the store, each with a stable code that the servers map to replies: IMAP response
 * codes (RFC 5530) and LMTP/SMTP replies (the MDA answers OVERQUOTA with 552 5.2.2).
 * `userError` tells a client's mistake (log quietly) from a fault of ours.
 */

export type StoreErrorCode =
  /** The mailbox (or message) does not exist: IMAP [NONEXISTENT]. */
  | "NONEXISTENT"
  /** CREATE or RENAME onto an existing name: IMAP [ALREADYEXISTS]. */
  | "ALREADYEXISTS"
  /** The operation would exceed the storage or message quota: IMAP [OVERQUOTA], LMTP 552 5.2.2. */
  | "OVERQUOTA"
  /** Not allowed on this mailbox (delete INBOX, rename into itself): IMAP [CANNOT]. */
  | "CANNOT"
  /** A malformed mailbox name or flag: IMAP BAD or [CANNOT]. */
  | "INVALID"
  /** The database could not be read or written: IMAP [UNAVAILABLE], LMTP 451 4.3.0. */
  | "UNAVAILABLE";

const USER_ERRORS: ReadonlySet<StoreErrorCode> = new Set([
  "NONEXISTENT",
  "ALREADYEXISTS",
  "OVERQUOTA",
  "CANNOT",
  "INVALID",
]);

export class StoreError extends Error {
  readonly userError: boolean;

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StoreError";
    this.userError = USER_ERRORS.has(code);
  }
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}
