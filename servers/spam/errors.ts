/**
 * The catalogue of the service's error answers: HTTP status, a stable code clients and tests
 * match on, and the text. `HttpError` carries one, with a detail, and whether the client caused
 * it (client errors are logged at debug level only).
 */

export const ERRORS = {
  /** The body is not JSON. */
  badJson: { status: 400, code: "bad_json", message: "The body is not valid JSON" },
  /** JSON that does not match the contract (api.ts). */
  invalidRequest: {
    status: 400,
    code: "invalid_request",
    message: "The request does not match the contract",
  },
  /** No route for the path. */
  notFound: { status: 404, code: "not_found", message: "No such endpoint" },
  /** The path exists, the method does not. */
  methodNotAllowed: { status: 405, code: "method_not_allowed", message: "Method not allowed here" },
  /** The body is larger than maxMessageBytes allows. */
  tooLarge: {
    status: 413,
    code: "too_large",
    message: "The message is larger than this service accepts",
  },
  /** Neither application/json nor message/rfc822. */
  unsupportedType: {
    status: 415,
    code: "unsupported_media_type",
    message: "Send application/json or message/rfc822",
  },
  /** A bug or a broken dependency on our side. */
  internal: { status: 500, code: "internal", message: "The service failed to answer" },
} as const;

export type ErrorEntry = (typeof ERRORS)[keyof typeof ERRORS];

export class HttpError extends Error {
  constructor(
    readonly entry: ErrorEntry,
    readonly detail?: string,
  ) {
    super(detail === undefined ? entry.message : `${entry.message}: ${detail}`);
    this.name = "HttpError";
  }

  get clientFault(): boolean {
    return this.entry.status < 500;
  }

  body(): { error: { code: string; message: string } } {
    return { error: { code: this.entry.code, message: this.message } };
  }
}
