/** The queue's fixed limits and intervals, with the reason for each. */

/** How often a running queue looks for operator requests in `<spool>/control/`. */
export const CONTROL_POLL_MS = 500;

/** How long `mailstack queue retry|delete` waits for the running MTA to apply its request. */
export const REQUEST_WAIT_MS = 10_000;

/** How long a starting MTA waits for a `mailstack queue` command that holds the spool lock. */
export const LOCK_WAIT_MS = 10_000;

/** A round that failed on our side (disk full, unreadable file) is tried again after this. */
export const ERROR_RETRY_MS = 60_000;

/** The scheduler never sleeps longer than this, so a wall-clock jump is noticed within it. */
export const MAX_SLEEP_MS = 60_000;

/** Read size when only the envelope line at the head of a message file is wanted. */
export const ENVELOPE_READ_BYTES = 64 * 1024;
