/** The MDA's protocol limits and timers, one per line with its reason. */

/**
 * Longest command line, CRLF included. RFC 5321 §4.5.3.1.4 sets 512 octets; addresses with
 * SMTPUTF8 and parameters can go past it, so we allow more, but bounded.
 */
export const MAX_COMMAND_LINE = 4096;

/** RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients per transaction. */
export const MAX_RECIPIENTS = 1000;

/** Unrecognized or out-of-sequence commands before the session is closed (a confused peer). */
export const MAX_BAD_COMMANDS = 10;

/** RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command. */
export const SOCKET_TIMEOUT_MS = 5 * 60_000;

/** Sessions still open this long after stop() are closed anyway. */
export const CLOSE_TIMEOUT_MS = 5000;

/**
 * Input a session buffers while a hook (directory lookup, delivery) is pending; past it the
 * socket is paused until the session catches up (a client may pipeline, not flood).
 */
export const MAX_PENDING_INPUT = 1024 * 1024;

/**
 * SQLite page cache per open account, in KiB. A delivery appends: it touches the right edges of
 * a few B-trees and the account's counters, not the listings an IMAP session re-reads, and a
 * worker keeps every account it delivered to in the last 30 s open (the store's 16 MB default
 * times 20 mailboxes times 2 workers was 640 MB).
 */
export const STORE_CACHE_KIB = 2048;
