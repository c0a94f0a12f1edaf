/**
 * The MTA's durable queue, as the SMTP sessions see it (the contract between the inbound and
 * submission side, which enqueues, and the queue and outbound delivery, which owns the spool).
 *
 * `enqueue` resolves only once the message and its envelope are on disk (fsync of file and
 * folder): the session answers 250 after that and never before. Delivery then goes per
 * recipient: local domains to the MDA over LMTP, others to their MX over SMTP.
 */

/** RFC 3461 DSN parameters of one recipient. */
export interface DsnRecipient {
  /** NOTIFY=: when to send a DSN; `never` suppresses even failure bounces. Default failure+delay. */
  readonly notify?: readonly ("success" | "failure" | "delay")[] | "never";
  /** ORCPT=: the original recipient, `rfc822;addr`. */
  readonly orcpt?: string;
}

export interface EnqueueInput {
  /** The envelope sender; "" is the null sender (bounces never go to it). */
  readonly from: string;
  readonly recipients: readonly ({ readonly address: string } & DsnRecipient)[];
  /** The message as it will be sent (trace and DKIM headers already added). */
  readonly raw: Uint8Array;
  /** RFC 3461 RET= and ENVID=. */
  readonly dsn?: { readonly ret?: "full" | "headers"; readonly envid?: string };
  /** Who handed it to us, for logs and the bounce's Reporting-MTA facts. */
  readonly origin: {
    readonly kind: "submission" | "inbound" | "bounce";
    readonly user?: string;
    readonly remoteAddress?: string;
  };
  /** RFC 8689 REQUIRETLS: deliver only over verified TLS, else fail. */
  readonly requireTls?: boolean;
  /**
   * The client's MAIL FROM carried SMTPUTF8 (RFC 6531 §3.4): the next hop must be told too,
   * and a next hop without SMTPUTF8 must not get UTF-8 addresses or header fields.
   */
  readonly smtpUtf8?: boolean;
  /** The client's MAIL FROM carried BODY=8BITMIME (RFC 6152): passed on as BODY=8BITMIME. */
  readonly eightBitMime?: boolean;
}

export interface Queue {
  /** Stores the message durably and schedules it; resolves to the queue id. */
  enqueue(input: EnqueueInput): Promise<string>;
}
