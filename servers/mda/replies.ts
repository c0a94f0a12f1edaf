/**
 * The MDA's replies, one table. smtp-server adds the enhanced status code from the reply code
 * (RFC 3463 as mapped in smtp-server: 550 -> 5.1.1, 552 -> 5.2.2, 452 -> 4.2.2, 451 -> 4.3.0),
 * which are exactly the codes RFC 2033 delivery needs here.
 */
export interface Reply {
  readonly code: number;
  readonly text: string;
}

export const REPLIES = {
  /** RCPT for an address nobody here receives (RFC 3463 X.1.1: bad destination mailbox). */
  unknownUser: { code: 550, text: "No such user here" },
  /** RCPT for a domain that is not ours: an LMTP server only delivers locally. */
  notLocal: { code: 550, text: "Not a local domain" },
  /** The directory could not be asked; the client retries. */
  directoryDown: { code: 451, text: "Directory unavailable, try again later" },
  /** X.2.2: mailbox full. Permanent by default so the sender learns of it. */
  overQuota: { code: 552, text: "Mailbox full" },
  overQuotaTemporary: { code: 452, text: "Mailbox full, try again later" },
  /** X.3.0: our storage failed; nothing was stored, the client retries. */
  storageFailure: { code: 451, text: "Local error in processing, try again later" },
  /** MAIL before STARTTLS on a connection from beyond loopback. */
  tlsRequired: { code: 530, text: "Must issue a STARTTLS command first" },
} as const satisfies Record<string, Reply>;

/** An Error as smtp-server wants it for a reply: the message is the text, responseCode the code. */
export function replyError(reply: Reply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.text), { responseCode: reply.code });
}
