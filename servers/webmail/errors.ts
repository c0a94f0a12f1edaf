/**
 * The catalogue of API errors: a stable code the browser and the tests match on, the HTTP status,
 * and a sentence a person can read. `userError` says the client was at fault, so it logs quietly.
 */
export const ERRORS = {
  BAD_REQUEST: { status: 400, text: "The request is not valid.", userError: true },
  LOGIN_FAILED: { status: 401, text: "Wrong address or password.", userError: true },
  NOT_LOGGED_IN: { status: 401, text: "Not logged in, or the session ended.", userError: true },
  FOREIGN_ORIGIN: { status: 403, text: "Requests from another site are refused.", userError: true },
  CSRF_TOKEN: {
    status: 403,
    text: "The request's CSRF token is missing or wrong.",
    userError: true,
  },
  NOT_FOUND: { status: 404, text: "Not found.", userError: true },
  METHOD: { status: 405, text: "Method not allowed.", userError: true },
  TOO_LARGE: { status: 413, text: "The request is too large.", userError: true },
  MEDIA_TYPE: { status: 415, text: "Expected application/json.", userError: true },
  LOGIN_THROTTLED: { status: 429, text: "Too many failed logins; wait.", userError: true },
  PASSWORD_WRONG: { status: 403, text: "The current password is wrong.", userError: true },
  PASSWORD_WEAK: {
    status: 400,
    text: "The new password is too short or too long.",
    userError: true,
  },
  INTERNAL: { status: 500, text: "Something went wrong on the server.", userError: false },
  IMAP_UNAVAILABLE: { status: 502, text: "The mail server cannot be reached.", userError: false },
  SEND_FAILED: { status: 502, text: "The message could not be sent.", userError: false },
  DIRECTORY_UNAVAILABLE: {
    status: 502,
    text: "The directory cannot be reached; try again later.",
    userError: false,
  },
} as const satisfies Record<string, { status: number; text: string; userError: boolean }>;

export type ErrorCode = keyof typeof ERRORS;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    /** Shown instead of the catalogue's text (e.g. the submission server's reply). */
    readonly detail?: string,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail ?? ERRORS[code].text);
    this.name = "ApiError";
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}
