/**
 * Every reply the MTA's own code gives, one table: SMTP code (RFC 5321 §4.2), enhanced status
 * code (RFC 3463, registry of RFC 5248) and text. smtp-server would derive the enhanced code from
 * the reply code alone (550 -> 5.1.1, 553 -> 5.1.3), which is wrong for policy refusals, so
 * ours travel in the text and listener.ts sends them as they are.
 *
 * A ProtocolError carries a reply and whether the client caused it (a relay attempt, a wrong
 * password): those are logged quietly, ours (a directory outage) loudly.
 */
export interface Reply {
  readonly code: number;
  readonly enhanced: string;
  readonly text: string;
}

export const REPLIES = {
  // --- connection ---
  /** Too many sessions from one address at once. */
  tooManyConnections: {
    code: 421,
    enhanced: "4.7.0",
    text: "Too many connections from your address, try again later",
  },

  // --- MAIL FROM ---
  /** More messages from this client (port 25) or user (submission) than the rate allows. */
  rateLimited: {
    code: 450,
    enhanced: "4.7.1",
    text: "Too much mail from you recently, try again later",
  },
  /** Submission: MAIL before AUTH (RFC 4954 §6). */
  authRequired: { code: 530, enhanced: "5.7.0", text: "Authentication required" },
  /** Submission: the envelope sender is not the user's address, alias or group (RFC 6409 §6.1). */
  senderNotOwned: {
    code: 553,
    enhanced: "5.7.1",
    text: "Sender address is not yours: use your own address, an alias or a group you belong to",
  },

  /**
   * A UTF-8 address in a transaction whose MAIL FROM did not carry SMTPUTF8 (RFC 6531 §3.4,
   * RFC 6533 X.6.7), in MAIL FROM or RCPT TO alike.
   */
  utf8WithoutSmtpUtf8: {
    code: 553,
    enhanced: "5.6.7",
    text: "Non-ASCII address not permitted without SMTPUTF8",
  },

  // --- RCPT TO ---
  /** Port 25, a domain that is not ours: no relaying, ever (RFC 5321 §3.6.2, §7.1). */
  relayDenied: {
    code: 550,
    enhanced: "5.7.1",
    text: "Relaying denied: this server accepts mail only for its own domains",
  },
  /** Port 25, `%`, `!` or quoted `@` in the local part: the relay tricks of old (RFC 5321 §3.6.2). */
  routingDenied: {
    code: 550,
    enhanced: "5.7.1",
    text: "Relaying denied: %-hacks, bang paths and routed addresses are not accepted",
  },
  /** Our domain, nobody there (RFC 3463 X.1.1). */
  unknownUser: { code: 550, enhanced: "5.1.1", text: "No such user here" },
  /** A bounce address of ours (srs.ts) whose hash does not match, or older than 21 days. */
  badSrsAddress: {
    code: 550,
    enhanced: "5.1.1",
    text: "No such address: an invalid or expired forwarding return address",
  },
  /** The directory could not be asked; the client retries (RFC 5321 §4.2.5). */
  directoryDown: {
    code: 451,
    enhanced: "4.3.0",
    text: "Directory unavailable, try again later",
  },

  // --- AUTH (RFC 4954 §6) ---
  authInvalid: { code: 535, enhanced: "5.7.8", text: "Authentication credentials invalid" },
  authThrottled: {
    code: 454,
    enhanced: "4.7.0",
    text: "Too many failed logins, try again later",
  },
  authUnavailable: {
    code: 454,
    enhanced: "4.7.0",
    text: "Temporary authentication failure, try again later",
  },

  // --- end of DATA ---
  /** RFC 6152 §3: 8BITMIME data carries no NUL; only BINARYMIME (not offered) would. */
  nulInMessage: {
    code: 554,
    enhanced: "5.6.0",
    text: "Message contains NUL octets, which SMTP does not carry",
  },
  /** The spam service said reject. */
  spamRejected: { code: 550, enhanced: "5.7.1", text: "Message refused as spam" },
  /** The spam service wants the client to come back later (greylisting, RFC 6647 §2.1). */
  greylisted: { code: 451, enhanced: "4.7.1", text: "Greylisted, please try again later" },
  /** The spam service is down and the policy is `tempfail`. */
  spamUnavailable: {
    code: 451,
    enhanced: "4.3.0",
    text: "Spam filter unavailable, try again later",
  },
  /** The MDA is down or failed for a recipient temporarily: nothing was kept, the client retries. */
  deliveryDeferred: {
    code: 451,
    enhanced: "4.3.0",
    text: "Local delivery temporarily failed, try again later",
  },
  /** The queue could not store the message durably. */
  queueUnavailable: {
    code: 451,
    enhanced: "4.3.0",
    text: "Queue unavailable, try again later",
  },
  /** Submission: a From address that is not the user's (RFC 6409 §6.1, checked at DATA). */
  fromNotOwned: {
    code: 550,
    enhanced: "5.7.1",
    text: "From header address is not yours",
  },
  /** Submission: RFC 5322 §3.6 requires exactly one From field. */
  fromMissing: {
    code: 550,
    enhanced: "5.6.0",
    text: "Message needs exactly one From header field (RFC 5322 section 3.6)",
  },
  /** Unexpected failure in our code; the client retries. */
  internalError: {
    code: 451,
    enhanced: "4.3.0",
    text: "Local error in processing, try again later",
  },
} as const satisfies Record<string, Reply>;

/** A reply with its text replaced or extended, e.g. naming the refused address. */
export function withText(reply: Reply, text: string): Reply {
  return { ...reply, text };
}

/** The line smtp-server sends after the code: `<enhanced> <text>` (RFC 2034 §4). */
export function replyLine(reply: Reply): string {
  return `${reply.enhanced} ${reply.text}`;
}

/** What a hook hands smtp-server to answer with `reply`. */
export class ProtocolError extends Error {
  readonly responseCode: number;

  constructor(
    readonly reply: Reply,
    /** True when the client caused it: logged at info, not as a server problem. */
    readonly userError: boolean,
    options?: { cause?: unknown },
  ) {
    super(replyLine(reply), options);
    this.name = "ProtocolError";
    this.responseCode = reply.code;
  }
}

export function clientFault(reply: Reply): ProtocolError {
  return new ProtocolError(reply, true);
}

export function serverFault(reply: Reply, cause?: unknown): ProtocolError {
  return new ProtocolError(reply, false, { cause });
}

/** An enhanced status code at the start of a reply text (RFC 3463 §2: class.subject.detail). */
export const ENHANCED_CODE_PREFIX = /^([245])\.\d{1,3}\.\d{1,3} /;
