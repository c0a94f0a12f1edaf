/**
 * The MTA's limits and protocol constants, one per line with the reason or the RFC section.
 * Limits an operator may change are only the defaults of config.ts; the rest are fixed here.
 */

/** Default largest message, in bytes, announced with SIZE (RFC 1870) and enforced (552). */
export const DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

/** RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients per transaction. */
export const DEFAULT_MAX_RECIPIENTS = 100;

/**
 * Command line length on port 25. RFC 5321 §4.5.3.1.4 gives 512 octets, extensions (SIZE, DSN's
 * ORCPT and ENVID, RFC 3461 §4) make lines longer; 4 KiB leaves room for all of them.
 */
export const INBOUND_COMMAND_LINE_BYTES = 4096;

/** RFC 4954 §4: an AUTH command line with its initial response may be up to 12288 octets. */
export const SUBMISSION_COMMAND_LINE_BYTES = 12_288;

/** Open connections one client address may hold at once (Postfix's anvil default is 50). */
export const DEFAULT_CONNECTIONS_PER_CLIENT = 20;

/** Connections the whole listener accepts at once; smtp-server answers 421 beyond. */
export const DEFAULT_MAX_CONNECTIONS = 500;

/** Messages one client address (port 25) or one user (submission) may start per minute. */
export const DEFAULT_MESSAGES_PER_MINUTE = 120;

/** The window of the message rate limit. */
export const RATE_WINDOW_MS = 60_000;

/**
 * Wait before the 220 greeting on port 25 for a client not known to behave. A client that talks
 * before it is no patient SMTP client (RFC 5321 §4.3.1 has the client wait for the greeting) but
 * a spam engine; it gets 421 and is closed (inbound/greeting-test.ts). Submission clients get
 * smtp-server's own fixed 100 ms.
 */
export const DEFAULT_INBOUND_GREETING_DELAY_MS = 300;

/** How long a client that waited for its greeting is greeted at once (postscreen_greet_ttl: 1d). */
export const DEFAULT_GREETING_PASS_SECONDS = 24 * 60 * 60;

/** RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command. */
export const SOCKET_TIMEOUT_MS = 5 * 60_000;

/** Sessions still open this long after stop() are closed anyway. */
export const CLOSE_TIMEOUT_MS = 5000;

/** How long the spam service may take for one message before its down-policy applies. */
export const DEFAULT_SPAM_TIMEOUT_MS = 15_000;

/** How long the MDA may take for one LMTP transaction (RFC 5321 §4.5.3.2.6 allows 10 min). */
export const LMTP_TIMEOUT_MS = 120_000;

/**
 * Groups may contain groups; this bounds the expansion of remote members (and breaks cycles).
 * The MDA uses the same depth for local members.
 */
export const MAX_GROUP_DEPTH = 5;

/** Only this much of a message's head is searched for its header fields. */
export const MAX_HEADER_BYTES = 1024 * 1024;

/**
 * smtp-server closes a session after 10 unrecognized commands (421) and, on submission, after
 * 10 commands before AUTH; both are fixed in the library and named here for the tests.
 */
export const MAX_BAD_COMMANDS = 10;
