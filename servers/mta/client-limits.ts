/**
 * Per-client limits, in memory (one MTA process; a restart forgets them, which only forgives):
 * open connections per client address, and messages per minute per key (the client address on
 * port 25, the user on submission).
 */
import { RATE_WINDOW_MS } from "./limits.ts";

/** Bounds memory under a spray of distinct addresses: the oldest keys are forgotten first. */
const MAX_TRACKED_KEYS = 100_000;

export interface ClientLimitsOptions {
  readonly connectionsPerClient: number;
  /** 0: no rate limit. */
  readonly messagesPerMinute: number;
  /** The clock, injectable for tests. */
  readonly now?: () => number;
}

export class ClientLimits {
  readonly #options: ClientLimitsOptions;
  readonly #open = new Map<string, number>();
  readonly #messages = new Map<string, number[]>();
  readonly #now: () => number;

  constructor(options: ClientLimitsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Counts a new connection; false (and not counted) when the client has too many open. */
  openConnection(key: string): boolean {
    const open = this.#open.get(key) ?? 0;
    if (open >= this.#options.connectionsPerClient) return false;
    this.#open.set(key, open + 1);
    return true;
  }

  closeConnection(key: string): void {
    const open = (this.#open.get(key) ?? 0) - 1;
    if (open > 0) this.#open.set(key, open);
    else this.#open.delete(key);
  }

  /** Counts a new message; false (and not counted) when the key is over its rate. */
  allowMessage(key: string): boolean {
    const limit = this.#options.messagesPerMinute;
    if (limit === 0) return true;
    const since = this.#now() - RATE_WINDOW_MS;
    const times = (this.#messages.get(key) ?? []).filter((t) => t > since);
    if (times.length >= limit) {
      this.#messages.set(key, times);
      return false;
    }
    times.push(this.#now());
    this.#messages.delete(key); // re-insert: Map order stays oldest-touched first
    this.#messages.set(key, times);
    while (this.#messages.size > MAX_TRACKED_KEYS) {
      const oldest = this.#messages.keys().next().value;
      if (oldest === undefined) break;
      this.#messages.delete(oldest);
    }
    return true;
  }
}

/** The key of a client address: IPv6 clients are counted per /64, what one site usually holds. */
export function clientKey(remoteAddress: string): string {
  const address = remoteAddress.replace(/^::ffff:(?=\d+\.)/, "");
  if (!address.includes(":")) return address;
  const groups = expandIpv6(address);
  return groups ? `${groups.slice(0, 4).join(":")}::/64` : address;
}

function expandIpv6(address: string): string[] | undefined {
  const [head = "", tail] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? left.length !== 8 : missing < 0) return undefined;
  return [...left, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...right].map(
    (g) => g.toLowerCase().replace(/^0+(?=.)/, ""),
  );
}
