/**
 * What a delivery attempt concluded for a recipient: a server's reply mapped to an outcome
 * (RFC 5321 §4.2.1: 2yz delivered, 4yz transient, 5yz permanent), or one of our own failures
 * from the catalogue below, each with its RFC 3463 enhanced status code.
 */
import type { AttemptResult } from "../queue/records.ts";
import type { Outcome } from "../queue/recipient-state.ts";

interface Failure {
  readonly status: string;
  readonly text: string;
}

/** Failures found on our side, before or instead of a server reply. */
export const FAILURES = {
  /** RFC 7505 §4.2 / RFC 3463 X.1.10: the domain publishes "MX 0 ." (accepts no mail). */
  nullMx: { status: "5.1.10", text: "recipient domain has a null MX (RFC 7505)" },
  /** X.1.2 bad destination system address: NXDOMAIN for the recipient domain. */
  noSuchDomain: { status: "5.1.2", text: "recipient domain does not exist (NXDOMAIN)" },
  /** X.4.4 unable to route: no MX and no address records, or no MX host has an address. */
  noRoute: { status: "5.4.4", text: "no MX host and no address for the recipient domain" },
  /** X.4.3 directory (DNS) server failure: SERVFAIL, timeout, refused. */
  dnsTemporary: { status: "4.4.3", text: "DNS lookup failed temporarily" },
  /** X.4.1 no answer from host: no MX address accepted a connection. */
  noAnswer: { status: "4.4.1", text: "no MX host answered" },
  /** X.4.2 bad connection: the connection broke during the transaction. */
  connectionLost: { status: "4.4.2", text: "connection lost" },
  /** X.7.10 encryption needed: REQUIRETLS and no verified TLS with any MX (RFC 8689 §4.2.1). */
  tlsRequired: { status: "5.7.10", text: "REQUIRETLS: no MX offered TLS with a valid certificate" },
  /** RFC 8689 §5: no MX announces REQUIRETLS, so the requirement cannot be passed on. */
  requireTlsUnsupported: { status: "5.7.30", text: "REQUIRETLS: no MX supports REQUIRETLS" },
  /**
   * RFC 6531 §3.2, RFC 6533 X.6.7: UTF-8 in an address or a header field (SMTPUTF8) and a
   * server that does not offer SMTPUTF8. Permanent: the next attempt meets the same server.
   */
  smtpUtf8Unsupported: {
    status: "5.6.7",
    text: "the message needs SMTPUTF8 and the server does not offer it",
  },
  /** X.3.4 message too big for system: over the SIZE the server announced (RFC 1870). */
  tooBig: { status: "5.3.4", text: "message larger than the server accepts" },
  /** X.4.1: the MDA (LMTP) did not answer. */
  mdaUnavailable: { status: "4.4.1", text: "the mail delivery agent (LMTP) is unavailable" },
  /** X.4.7 delivery time expired (RFC 3463): used for the final DSN of an expired recipient. */
  expired: { status: "4.4.7", text: "delivery time expired" },
} as const satisfies Record<string, Failure>;

export interface Hop {
  /** The MX host name (Remote-MTA), "[ip]" for an address literal, or "lmtp". */
  readonly remoteMta: string;
  /** host[ip]:port for logs. */
  readonly relay: string;
}

/** The enhanced code of a reply, or the class default (X.0.0) when it has none. */
export function enhancedStatus(reply: string): string {
  const m = /^([245])\d\d[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply);
  if (m?.[2] && m[2][0] === m[1]) return m[2];
  const cls = reply[0];
  return cls === "2" || cls === "4" || cls === "5" ? `${cls}.0.0` : "4.0.0";
}

/** A server reply as an outcome for one recipient. */
export function outcomeFromReply(
  reply: string,
  hop: Hop,
  delivered: "delivered" | "relayed" | "handed-off",
): Outcome {
  const result: AttemptResult = {
    status: enhancedStatus(reply),
    reply,
    text: reply,
    remoteMta: hop.remoteMta,
    relay: hop.relay,
  };
  if (reply.startsWith("2")) return { kind: "delivered", action: delivered, result };
  if (reply.startsWith("5")) return { kind: "permanent", result };
  return { kind: "temporary", result }; // 4yz, and anything unparseable: retry rather than lose
}

/** One of our own failures as an outcome. */
export function localOutcome(
  failure: Failure,
  detail?: string,
  hop?: Partial<Hop>,
  reply?: string,
): Outcome {
  const result: AttemptResult = {
    status: failure.status,
    text: detail ? `${failure.text}: ${detail}` : failure.text,
    ...(reply ? { reply } : {}),
    ...(hop?.remoteMta ? { remoteMta: hop.remoteMta } : {}),
    ...(hop?.relay ? { relay: hop.relay } : {}),
  };
  return failure.status.startsWith("5")
    ? { kind: "permanent", result }
    : { kind: "temporary", result };
}
