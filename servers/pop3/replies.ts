/**
 * Every status line the POP3 server sends, one table: positive or negative (RFC 1939 §3), an
 * optional extended response code (RFC 2449 §8: [IN-USE], [LOGIN-DELAY]; RFC 3206: [SYS/TEMP],
 * [SYS/PERM], [AUTH]) and text. Clients act on the codes: [AUTH] means "ask the user for the
 * password again", [SYS/TEMP] "try later without bothering the user", [SYS/PERM] "this will not
 * work by retrying", [IN-USE] "another session holds the maildrop".
 *
 * A ProtocolError carries a reply and whether the client caused it (a bad message number):
 * those are logged quietly, ours (a store outage) loudly.
 */

/** RFC 2449 §8 and RFC 3206 response codes we use. */
export type ResponseCode = "IN-USE" | "AUTH" | "SYS/TEMP" | "SYS/PERM";

export interface Reply {
  readonly ok: boolean;
  readonly code?: ResponseCode;
  readonly text: string;
}

const ok = (text: string): Reply => ({ ok: true, text });
const err = (text: string, code?: ResponseCode): Reply =>
  code === undefined ? { ok: false, text } : { ok: false, code, text };

export const REPLIES = {
  // --- connection ---
  /** RFC 1939 §4: the greeting. No APOP timestamp: we do not offer APOP (MD5 of a stored secret). */
  greeting: (hostname: string) => ok(`${hostname} POP3 server ready (mailstack)`),
  /** Over the per-client or global connection limit. */
  tooManyConnections: err("Too many connections, try again later", "SYS/TEMP"),
  /** RFC 1939 §3: the autologout timer fired; no UPDATE state follows. */
  idleTimeout: err("Idle for too long, closing the connection"),
  /** Too many errors on one connection: a confused or hostile client. */
  tooManyErrors: err("Too many bad commands, closing the connection"),
  /** An HTTP request on a mail port is an attack or a misconfigured client. */
  httpRequest: err("HTTP requests are not allowed on a POP3 port"),
  /** The server is stopping. */
  shuttingDown: err("Server shutting down, try again later", "SYS/TEMP"),
  /** QUIT in AUTHORIZATION state (RFC 1939 §6). */
  bye: ok("Bye"),

  // --- syntax and state ---
  unknownCommand: err("Unknown command"),
  /** A known command in a state that does not allow it (RFC 1939 §3). */
  wrongState: err("Command not valid in this state"),
  badArguments: err("Wrong number or form of arguments"),
  lineTooLong: err("Line too long"),
  badCharacters: err("NUL or control characters in the command line"),

  // --- CAPA (RFC 2449 §5) ---
  capabilities: ok("Capability list follows"),

  // --- STLS (RFC 2595 §4) ---
  beginTls: ok("Begin TLS negotiation"),
  /** STLS when TLS is on already, or on the implicit-TLS port. */
  tlsActive: err("Command not permitted when TLS active"),

  // --- AUTHORIZATION (RFC 1939 §7, RFC 5034) ---
  /**
   * USER, PASS or AUTH before TLS on the cleartext port. [SYS/PERM] rather than [AUTH]: the
   * credentials are not wrong, and an [AUTH] would make clients prompt for a new password.
   */
  tlsRequired: err("Authentication requires TLS: issue STLS first", "SYS/PERM"),
  /** RFC 1939 §7 USER: the reply never says whether the mailbox exists. */
  userAccepted: ok("Send your password"),
  passWithoutUser: err("Send USER first"),
  loggedIn: (count: number, size: number) => ok(`Logged in, ${count} messages (${size} octets)`),
  /** RFC 3206 §4 [AUTH]: wrong login or password, never which. */
  authFailed: err("Authentication failed", "AUTH"),
  /** The directory refuses for now after repeated failures: retry later, do not re-prompt. */
  authThrottled: err("Too many failed logins, try again later", "SYS/TEMP"),
  directoryDown: err("Directory unavailable, try again later", "SYS/TEMP"),
  /** RFC 2449 §8.1.1 [IN-USE]: another POP3 session of this server holds the maildrop. */
  maildropLocked: err("Mailbox is in use by another POP3 session", "IN-USE"),
  /** RFC 5034 §4: a mechanism we do not offer. */
  unknownMechanism: err("Unrecognized authentication type"),
  /** RFC 5034 §4: the client answered "*". */
  authCancelled: err("Authentication cancelled"),
  /** RFC 5034 §4: the response was not valid base64 or not a valid PLAIN message. */
  badSaslResponse: err("Malformed authentication response"),
  /** AUTH without a mechanism: the mechanism list, the form many clients probe with. */
  mechanisms: ok("Supported mechanisms follow"),

  // --- TRANSACTION (RFC 1939 §5) ---
  stat: (count: number, size: number) => ok(`${count} ${size}`),
  listing: (count: number, size: number) => ok(`${count} messages (${size} octets)`),
  listEntry: (n: number, size: number) => ok(`${n} ${size}`),
  uidlListing: ok("Unique-ID listing follows"),
  uidlEntry: (n: number, uniqueId: string) => ok(`${n} ${uniqueId}`),
  message: (size: number) => ok(`${size} octets`),
  top: ok("Top of message follows"),
  noSuchMessage: err("No such message"),
  messageDeleted: err("Message already deleted"),
  /** Another session (IMAP) expunged it after our snapshot was taken. */
  messageGone: err("Message was removed by another session"),
  deleted: (n: number) => ok(`Message ${n} deleted`),
  reset: (count: number, size: number) => ok(`Maildrop has ${count} messages (${size} octets)`),
  noop: ok(""),
  /** RFC 1939 §6: QUIT from TRANSACTION, after the UPDATE state removed the marked messages. */
  updated: (removed: number, left: number) => ok(`Bye, ${removed} messages deleted, ${left} left`),
  /** RFC 1939 §6: "-ERR some deleted messages not removed". */
  updateFailed: err("Some deleted messages not removed, try again later", "SYS/TEMP"),
  storeDown: err("Mail store unavailable, try again later", "SYS/TEMP"),
} as const;

/** The status line as sent, without CRLF: `+OK text` or `-ERR [CODE] text`. */
export function formatReply(reply: Reply): string {
  const status = reply.ok ? "+OK" : "-ERR";
  const code = reply.code === undefined ? "" : ` [${reply.code}]`;
  return reply.text === "" && !code ? status : `${status}${code} ${reply.text}`;
}

/** A command failed with this reply; `userError` when the client caused it. */
export class ProtocolError extends Error {
  constructor(
    readonly reply: Reply,
    readonly userError = true,
    options?: { cause?: unknown },
  ) {
    super(formatReply(reply), options);
    this.name = "ProtocolError";
  }
}
