/**
 * Greylisting (RFC 6647): the first delivery attempt of a (client network, sender, recipient)
 * triplet is refused with a temporary failure; a real MTA retries after a while, most spamware
 * does not. A retry after `delaySeconds` and within `retryWindowSeconds` passes, and the triplet
 * then passes at once for `passedSeconds` after its last message (§4: whitelist after success).
 *
 * The client is taken by network, /24 for IPv4 and /64 for IPv6 (§5: large senders retry from
 * another address of the same pool). Off by default; trusted clients and authenticated senders
 * are never greylisted, nor messages scoring below `minScore`.
 */
import { isIP } from "node:net";
import type { StatementSync } from "node:sqlite";
import type { Database } from "./database.ts";

export interface GreylistOptions {
  readonly delaySeconds: number;
  readonly retryWindowSeconds: number;
  readonly passedSeconds: number;
}

export interface GreylistDecision {
  readonly greylisted: boolean;
  /** Seconds until a retry would pass (0 when it passes now). */
  readonly retryAfter: number;
  readonly triplets: readonly string[];
}

interface Row {
  first_seen: number;
  passed_at: number | null;
  last_seen: number;
}

export class Greylist {
  readonly #options: GreylistOptions;
  readonly #get: StatementSync;
  readonly #put: StatementSync;

  constructor(db: Database, options: GreylistOptions) {
    this.#options = options;
    this.#get = db.prepare(
      "SELECT first_seen, passed_at, last_seen FROM greylist WHERE triplet = ?",
    );
    this.#put = db.prepare(
      `INSERT INTO greylist (triplet, first_seen, passed_at, last_seen) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (triplet) DO UPDATE SET first_seen = ?2, passed_at = ?3, last_seen = ?4`,
    );
  }

  /** Records this attempt for every recipient; greylisted when any triplet has not passed. */
  check(
    clientAddress: string,
    sender: string,
    recipients: readonly string[],
    now: number,
  ): GreylistDecision {
    const { delaySeconds, retryWindowSeconds, passedSeconds } = this.#options;
    let retryAfter = 0;
    const triplets = recipients.map((r) => triplet(clientAddress, sender, r));
    for (const key of triplets) {
      const row = this.#get.get(key) as Row | undefined;
      const fresh = (): void => {
        this.#put.run(key, now, null, now);
        retryAfter = Math.max(retryAfter, delaySeconds);
      };
      if (!row) fresh();
      else if (row.passed_at !== null) {
        if (now - row.last_seen < passedSeconds)
          this.#put.run(key, row.first_seen, row.passed_at, now);
        else fresh();
      } else if (now - row.first_seen > retryWindowSeconds) fresh();
      else if (now - row.first_seen < delaySeconds) {
        retryAfter = Math.max(retryAfter, row.first_seen + delaySeconds - now);
        this.#put.run(key, row.first_seen, null, now);
      } else this.#put.run(key, row.first_seen, now, now);
    }
    // A zero delay passes at once, as RFC 6647 §2.2 allows (useful to record triplets only).
    return { greylisted: retryAfter > 0, retryAfter, triplets };
  }
}

/** The client's network: /24 (IPv4) or /64 (IPv6), as text. */
export function clientNetwork(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.)/i, "");
  if (isIP(plain) === 4) return `${plain.split(".").slice(0, 3).join(".")}.0/24`;
  if (isIP(plain) === 6) {
    const [head = "", tail = ""] = plain.toLowerCase().split("::");
    const h = head === "" ? [] : head.split(":");
    const t = tail === "" ? [] : tail.split(":");
    const full = plain.includes("::")
      ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t]
      : h;
    return `${full
      .slice(0, 4)
      .map((g) => g.replace(/^0+(?=.)/, ""))
      .join(":")}::/64`;
  }
  return address;
}

export function triplet(clientAddress: string, sender: string, recipient: string): string {
  return `${clientNetwork(clientAddress)} ${sender.toLowerCase()} ${recipient.toLowerCase()}`;
}
