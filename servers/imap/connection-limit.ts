/**
 * How many connections each client address holds, so that one host cannot take every slot of
 * the server. IPv4 addresses (also IPv4-mapped IPv6 ones) count one by one; IPv6 addresses by
 * their /64, since one host usually has a whole /64 to pick source addresses from.
 */
import { isIPv6 } from "node:net";

export interface ConnectionLimitOptions {
  /** Connections held at once in total. */
  readonly max: number;
  /** Connections one client (address, or IPv6 /64) may hold at once. */
  readonly perClient: number;
  /** Addresses the per-client limit does not apply to (gateways for many users). */
  readonly exempt: readonly string[];
}

/** An IPv4-mapped IPv6 address (a dual-stack socket's view of IPv4) as plain IPv4. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? (mapped[1] as string) : address;
}

/** The key a client address is counted under. */
export function clientKey(socketAddress: string): string {
  const address = unmapped(socketAddress);
  if (!isIPv6(address)) return address;
  const [head = "", tail] = address.toLowerCase().split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = [
    ...left,
    ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"),
    ...right,
  ];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

export type Admission = "ok" | "server-full" | "client-full";

/**
 * What the server asks before it serves a connection and tells when it closes: a
 * ConnectionLimit in this process, or the cluster primary's one (workers.ts), asked over IPC.
 */
export interface ConnectionCounter {
  admit(address: string): Admission | Promise<Admission>;
  release(address: string): void;
}

export class ConnectionLimit implements ConnectionCounter {
  readonly #byClient = new Map<string, number>();
  readonly #exempt: ReadonlySet<string>;
  #total = 0;

  constructor(private readonly options: ConnectionLimitOptions) {
    this.#exempt = new Set(options.exempt.map(unmapped));
  }

  /** Counts a new connection from `address`, unless it is over a limit (then nothing counts). */
  admit(address: string): Admission {
    if (this.#total >= this.options.max) return "server-full";
    const key = clientKey(address);
    const count = this.#byClient.get(key) ?? 0;
    if (count >= this.options.perClient && !this.#exempt.has(unmapped(address)))
      return "client-full";
    this.#total++;
    this.#byClient.set(key, count + 1);
    return "ok";
  }

  /** An admitted connection from `address` closed. */
  release(address: string): void {
    const key = clientKey(address);
    const left = (this.#byClient.get(key) ?? 1) - 1;
    if (left > 0) this.#byClient.set(key, left);
    else this.#byClient.delete(key);
    this.#total = Math.max(0, this.#total - 1);
  }

  /** Connections open now (for tests and logs). */
  get total(): number {
    return this.#total;
  }
}
