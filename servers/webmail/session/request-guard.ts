/**
 * Which requests may use a session. Three checks, each enough on its own against the usual
 * cross-site request forgery, together so a browser quirk in one does not open the door:
 *
 * - the cookie is SameSite=Strict, so browsers do not send it on cross-site requests;
 * - a request that says it comes from another origin (Origin, or Sec-Fetch-Site cross-site or
 *   same-site) is refused whatever it carries: a stolen cookie presented by a foreign page is not
 *   accepted;
 * - every state-changing request carries the session's synchronizer token in X-CSRF-Token, which
 *   a foreign page cannot read (no CORS is granted).
 */
import type { IncomingHttpHeaders } from "node:http";
import { ApiError } from "../errors.ts";
import { sameToken } from "./session-store.ts";

export const CSRF_HEADER = "x-csrf-token";

/** Methods that only read (RFC 9110 §9.2.1 safe methods). */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isStateChanging(method: string): boolean {
  return !SAFE_METHODS.has(method);
}

/** Refuses a request that declares a foreign origin. `host` is the Host header we were reached by. */
export function checkOrigin(headers: IncomingHttpHeaders): void {
  const origin = headers.origin;
  if (origin !== undefined) {
    // Our own origin is the one the browser reached us by: https://<Host header>.
    if (origin !== `https://${headers.host ?? ""}`) throw new ApiError("FOREIGN_ORIGIN");
  }
  const site = headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    throw new ApiError("FOREIGN_ORIGIN");
  }
}

/** Requires the session's CSRF token on a state-changing request. */
export function checkCsrf(method: string, headers: IncomingHttpHeaders, expected: string): void {
  if (!isStateChanging(method)) return;
  const given = headers[CSRF_HEADER];
  if (typeof given !== "string" || !sameToken(given, expected)) throw new ApiError("CSRF_TOKEN");
}
