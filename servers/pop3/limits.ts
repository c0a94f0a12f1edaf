/**
 * The POP3 server's limits and protocol constants, one per line with the reason or RFC section.
 * Limits an operator may change are only the defaults of config.ts; the rest are fixed here.
 */

/**
 * RFC 2449 §4: a command line is at most 255 octets including the CRLF. Clients overstep it
 * (long user names, pipelined junk); we accept up to 1 KiB before answering -ERR.
 */
export const MAX_COMMAND_LINE_BYTES = 1024;

/**
 * RFC 5034 §4: a SASL response line may be longer than a command (it is not limited to 255
 * octets). PLAIN carries authzid, login and password, each at most 1 KiB for the directory,
 * base64-encoded: 4 KiB covers it.
 */
export const MAX_SASL_LINE_BYTES = 4096;

/**
 * Input buffered while a command runs (pipelining, RFC 2449 §6.6). Beyond this the socket is
 * paused until the session catches up, so a client cannot make us hold its whole upload.
 */
export const MAX_PENDING_INPUT_BYTES = 64 * 1024;

/** An overlong line is discarded up to its end; one longer than this ends the connection. */
export const MAX_OVERLONG_LINE_BYTES = 1024 * 1024;

/** Unknown commands, wrong-state commands, syntax errors and overlong lines before we hang up. */
export const MAX_BAD_COMMANDS = 10;

/** Failed logins on one connection before we hang up (the directory also throttles per login). */
export const MAX_AUTH_FAILURES = 3;

/**
 * RFC 1939 §3: the inactivity autologout timer "MUST be of at least 10 minutes' duration".
 * The default of config.ts.
 */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 600;

/** Open connections one client address may hold at once (Dovecot's default is 10 per user+IP). */
export const DEFAULT_CONNECTIONS_PER_CLIENT = 20;

/** Connections the whole server holds at once; more are answered -ERR [SYS/TEMP] and closed. */
export const DEFAULT_MAX_CONNECTIONS = 1000;

/**
 * RETR and TOP read the stored message in slices of this size (MailboxView.read with a range),
 * so a 50 MiB message never sits whole in memory. 256 KiB is the store's own chunk size.
 */
export const READ_CHUNK_BYTES = 256 * 1024;

/** LIST and UIDL scan listings are written in batches of this many lines (backpressure). */
export const LISTING_BATCH_LINES = 1000;

/** RFC 1939 §7: a unique-id is 1 to 70 characters in the range 0x21 to 0x7E. */
export const MAX_UNIQUE_ID_LENGTH = 70;

/** Sessions still open this long after stop() are closed anyway. */
export const CLOSE_TIMEOUT_MS = 5000;
