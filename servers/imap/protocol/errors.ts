/**
 * Typed errors of the IMAP server. A command handler throws an ImapError; the dispatcher turns it
 * into the tagged reply. `userError` says whether the client caused it (logged at debug) or we
 * did (logged as an error). Store errors map to RFC 5530 response codes here, in one place.
 */
import { isStoreError } from "../../store/index.ts";

export type Status = "OK" | "NO" | "BAD";

export class ImapError extends Error {
  readonly userError: boolean;

  constructor(
    readonly status: "NO" | "BAD",
    /** Response code without brackets, e.g. "TRYCREATE" or "BADCHARSET (UTF-8)". */
    readonly code: string | undefined,
    readonly text: string,
    options: { userError?: boolean; cause?: unknown } = {},
  ) {
    super(text, { cause: options.cause });
    this.name = "ImapError";
    this.userError = options.userError ?? true;
  }
}

/** A malformed command: tagged BAD (RFC 9051 §7.1.3). */
export function bad(text: string, code?: string): ImapError {
  return new ImapError("BAD", code, text);
}

/** A well-formed command that could not be carried out: tagged NO (RFC 9051 §7.1.2). */
export function no(text: string, code?: string): ImapError {
  return new ImapError("NO", code, text);
}

/** An error parsing a command before its tag was read: answered with `* BAD`. */
export class ParseError extends Error {
  constructor(
    message: string,
    readonly tag: string | undefined,
  ) {
    super(message);
    this.name = "ParseError";
  }
}

/**
 * What a store failure means to the client (RFC 5530 codes). `trycreate` asks for TRYCREATE
 * instead of NONEXISTENT, as COPY, MOVE and APPEND must (RFC 9051 §6.3.12, §6.4.7).
 */
export function fromStoreError(error: unknown, options: { trycreate?: boolean } = {}): ImapError {
  if (!isStoreError(error)) {
    return new ImapError("NO", "SERVERBUG", "Internal error", { userError: false, cause: error });
  }
  switch (error.code) {
    case "NONEXISTENT":
      return options.trycreate
        ? no("Mailbox does not exist", "TRYCREATE")
        : no("Mailbox does not exist", "NONEXISTENT");
    case "ALREADYEXISTS":
      return no("Mailbox already exists", "ALREADYEXISTS");
    case "OVERQUOTA":
      return no("Quota exceeded", "OVERQUOTA");
    case "CANNOT":
      return no(error.message, "CANNOT");
    case "INVALID":
      return no(error.message, "CANNOT");
    case "UNAVAILABLE":
      return new ImapError("NO", "UNAVAILABLE", "Mail storage unavailable, try again", {
        userError: false,
        cause: error,
      });
  }
}
