/**
 * Port 25's greeting test, as Postfix's postscreen does its pregreet test: a client we do not
 * know waits `pauseMs` for the 220 greeting, and one that talks during the pause breaks
 * RFC 5321 §4.3.1 (the client waits for the greeting) and is refused (listener.ts). A client
 * that waited is remembered for `passTtlMs` and greeted at once on its next connections; after
 * that it is tested again (the pass is not extended by use, as postscreen's cache entry is not).
 * Trusted networks are never tested.
 *
 * The memory is per MTA process and in memory only: a restart forgets every pass, which costs
 * each client one pause again and nothing else.
 */
import { BlockList, isIPv4, isIPv6 } from "node:net";

/** Bounds memory under a spray of distinct addresses: the oldest passes are forgotten first. */
const MAX_REMEMBERED = 100_000;

export interface GreetingTestOptions {
  /** The pause before the greeting for a client not known to behave; 0 turns the test off. */
  readonly pauseMs: number;
  /** How long a pass is remembered; 0 remembers nothing (every connection is tested). */
  readonly passTtlMs: number;
  /** Addresses or CIDR blocks (`127.0.0.0/8`, `::1`) that are never paused. */
  readonly trustedNetworks: readonly string[];
  /** The clock, injectable for tests. */
  readonly now?: () => number;
}

export class GreetingTest {
  readonly #options: GreetingTestOptions;
  readonly #trusted = new BlockList();
  /** Address -> when its pass expires (epoch ms); Map order is oldest pass first. */
  readonly #passed = new Map<string, number>();
  readonly #now: () => number;

  constructor(options: GreetingTestOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    for (const network of options.trustedNetworks) addNetwork(this.#trusted, network);
  }

  /** The pause before this client's greeting: 0 for trusted and remembered clients. */
  pauseFor(remoteAddress: string): number {
    if (this.#options.pauseMs === 0) return 0;
    const address = plainAddress(remoteAddress);
    if (this.#isTrusted(address)) return 0;
    const expires = this.#passed.get(address);
    if (expires !== undefined) {
      if (expires > this.#now()) return 0;
      this.#passed.delete(address);
    }
    return this.#options.pauseMs;
  }

  /** The client waited for its greeting through a whole pause. */
  pass(remoteAddress: string): void {
    if (this.#options.passTtlMs === 0) return;
    const address = plainAddress(remoteAddress);
    this.#passed.delete(address); // re-insert: Map order stays oldest pass first
    this.#passed.set(address, this.#now() + this.#options.passTtlMs);
    while (this.#passed.size > MAX_REMEMBERED) {
      const oldest = this.#passed.keys().next().value;
      if (oldest === undefined) break;
      this.#passed.delete(oldest);
    }
  }

  #isTrusted(address: string): boolean {
    if (isIPv4(address)) return this.#trusted.check(address, "ipv4");
    if (isIPv6(address)) return this.#trusted.check(address, "ipv6");
    return false;
  }
}

/** Whether `network` is an address or a CIDR block that trustedNetworks accepts. */
export function isNetwork(network: string): boolean {
  try {
    addNetwork(new BlockList(), network);
    return true;
  } catch {
    return false;
  }
}

function addNetwork(list: BlockList, network: string): void {
  const [address = "", prefix, extra] = network.split("/");
  const family = isIPv4(address) ? "ipv4" : isIPv6(address) ? "ipv6" : undefined;
  if (family === undefined || extra !== undefined) {
    throw new Error(`not an IP address or CIDR block: ${network}`);
  }
  if (prefix === undefined) {
    list.addAddress(address, family);
    return;
  }
  const bits = Number(prefix);
  if (!/^\d{1,3}$/.test(prefix) || bits > (family === "ipv4" ? 32 : 128)) {
    throw new Error(`bad prefix length in ${network}`);
  }
  list.addSubnet(address, bits, family);
}

/** An IPv4 client as it is, whether the socket shows it IPv4-mapped (`::ffff:1.2.3.4`) or not. */
function plainAddress(remoteAddress: string): string {
  return remoteAddress.replace(/^::ffff:(?=\d+\.)/i, "");
}
