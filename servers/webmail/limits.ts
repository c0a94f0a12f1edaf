/** Every bound of the webmail, with its reason. */

/** OWASP session guidance: a short idle timeout for a mail client left open. */
export const DEFAULT_IDLE_SESSION_SECONDS = 30 * 60;
/** One working day: a session ends even if used all the time, so a stolen id does not live on. */
export const DEFAULT_ABSOLUTE_SESSION_SECONDS = 12 * 60 * 60;
/** Failed logins per address in the window: a typo or two, not a password guesser. */
export const DEFAULT_LOGIN_FAILURES_PER_ADDRESS = 5;
/** Failed logins per client IP: an office behind one NAT gets more room than one address. */
export const DEFAULT_LOGIN_FAILURES_PER_IP = 20;
export const DEFAULT_LOGIN_WINDOW_SECONDS = 15 * 60;

/** Bytes of session id and CSRF token (256 bits, OWASP: at least 64 bits of entropy). */
export const TOKEN_BYTES = 32;

/** Largest JSON body of an ordinary API request (flags, moves, login). */
export const MAX_JSON_BYTES = 64 * 1024;
/** Largest compose request: attachments come base64 inside it (25 MB of files is about 34 MB). */
export const MAX_COMPOSE_BYTES = 36 * 1024 * 1024;

/** Messages per page of the message list. */
export const PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
/** Messages of one conversation sent with its row (the newest, in the list's order). */
export const MAX_THREAD_MESSAGES_SHOWN = 100;
/** Largest text or HTML part shown; beyond it the part is offered as a download. */
export const MAX_SHOWN_PART_BYTES = 2 * 1024 * 1024;
/** Inline (cid:) images are embedded as data: URLs up to this many bytes in all. */
export const MAX_INLINE_IMAGE_BYTES = 5 * 1024 * 1024;

/** A comment line on an event stream every so often, so proxies do not close it as idle. */
export const EVENT_KEEPALIVE_MS = 25_000;
/** Sessions and throttle entries past their time are swept this often. */
export const SWEEP_INTERVAL_MS = 60_000;
