/**
 * Limits and protocol constants of the IMAP server, one per line with its reason. Everything a
 * client can make the server hold in memory is bounded here.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Longest command line (between literals). RFC 7162 §4 asks servers to accept at least 8192
 * octets; 64 KiB leaves room for long UID sets from clients that do not compress them.
 */
export const MAX_LINE_BYTES = 64 * KiB;

/** Largest literal in APPEND (one message); announced as APPENDLIMIT (RFC 7889). */
export const MAX_APPEND_LITERAL_BYTES = 64 * MiB;

/** Largest literal in any other command (a password, a mailbox name, a search string). */
export const MAX_LITERAL_BYTES = 8 * KiB;

/**
 * A non-synchronizing literal over the limit must be read and thrown away to stay in step with
 * the client (RFC 7888 §4); beyond this many octets the connection is closed instead.
 */
export const MAX_DISCARD_BYTES = 128 * MiB;

/** Bytes read but not yet processed (pipelined commands) before the socket is paused. */
export const PAUSE_INPUT_BYTES = 1 * MiB;

/** Bytes buffered in total before the client is told BYE: a client ignoring backpressure. */
export const MAX_BUFFERED_BYTES = MAX_APPEND_LITERAL_BYTES + 2 * MiB;

/** Nesting of parenthesized lists (SEARCH keys, BODYSTRUCTURE-like input): deeper is hostile. */
export const MAX_LIST_DEPTH = 32;

/** Invalid commands in a row before the session ends (Dovecot uses 20; we are stricter). */
export const MAX_BAD_COMMANDS = 10;

/** Failed LOGIN/AUTHENTICATE in one session before it ends (the directory throttles as well). */
export const MAX_AUTH_FAILURES = 5;

/**
 * A login refused by the workers' shared throttle (workers.ts) is answered no sooner than this,
 * like every failure the directory answers (its default failure floor), so timing tells nothing.
 */
export const FAILED_LOGIN_FLOOR_MS = 300;

/** Sessions still open this long after stop() (SIGTERM) are cut. */
export const STOP_TIMEOUT_MS = 5000;

/** RFC 9051 §5.4: an autologout timer of at least 30 minutes once authenticated. */
export const AUTHENTICATED_TIMEOUT_MS = 30 * 60 * 1000;

/** Before authentication a short timer is allowed (RFC 9051 §5.4) and frees slots sooner. */
export const UNAUTHENTICATED_TIMEOUT_MS = 60 * 1000;

/** "* OK Still here" during IDLE, so NAT boxes keep the connection (Dovecot sends one per 2 min). */
export const IDLE_KEEPALIVE_MS = 2 * 60 * 1000;

/** RFC 2971 ID: at most 30 field/value pairs, field names at most 30 octets, values 1024. */
export const ID_MAX_FIELDS = 30;

/** Messages per FETCH response batch read from the store, so a 1:* fetch streams. */
export const FETCH_BATCH = 500;

/** Mailboxes created or renamed by one client with names deeper than this are refused. */
export const MAX_MAILBOX_DEPTH = 32;

/** Connections the server holds at once (all listeners); more are told BYE and closed. */
export const DEFAULT_MAX_CONNECTIONS = 5000;

/**
 * Connections one client address may hold at once. A mail client keeps up to about five per
 * account (Thunderbird's default cache, one of them in IDLE), so 50 lets a household or a small
 * office behind one NAT address in, while one host cannot take the whole server. Gateways that
 * speak for many users from one address (the webmail) are listed in `connectionLimitExempt`.
 */
export const DEFAULT_CONNECTIONS_PER_CLIENT = 50;

/** Mailbox hierarchy delimiter (RFC 9051 §5.1): the store uses "/" too. */
export const DELIMITER = "/";
