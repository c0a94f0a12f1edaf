/**
 * Response headers that keep the browser strict. The application's own pages run only our
 * bundled script (no inline script anywhere); message HTML lives in a sandboxed frame served with
 * its own policy that allows no script at all, and no remote request until the user allows images.
 */

/** The application: our script, styles and API only; framed by no one. */
export const APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * A message's HTML. `sandbox` (without allow-scripts or allow-same-origin) applies even when the
 * frame's URL is opened on its own; links may open a new window outside the sandbox. Styles in
 * `style` attributes are allowed here only; images only inline (data:) until remote ones are.
 */
export function messageFrameCsp(remoteImages: boolean): string {
  return [
    "default-src 'none'",
    `img-src data:${remoteImages ? " https: http:" : ""}`,
    "style-src 'unsafe-inline'",
    "font-src data:",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
    "sandbox allow-popups allow-popups-to-escape-sandbox",
  ].join("; ");
}

/** Headers every response carries. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Strict-Transport-Security": "max-age=31536000",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Frame-Options": "DENY",
  "Content-Security-Policy": APP_CSP,
};
