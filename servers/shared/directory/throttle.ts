/**
 * Throttles repeated login failures per login and per client address, the way fail2ban and
 * Dovecot's auth penalty do, but inside the server so every deployment has it.
 *
 * A key (login or address) that has failed `maxFailures` times within `windowMs` is refused until
 * its oldest failure leaves the window. A success clears the login's record (not the address's:
 * one good password must not unlock guessing at other accounts from the same client).
 */

export interface ThrottleOptions {
  /** Failures allowed per login within the window. Default 5. */
  readonly maxFailuresPerLogin?: number;
  /** Failures allowed per client address within the window. Default 20. */
  readonly maxFailuresPerAddress?: number;
  /** The window in milliseconds. Default 15 minutes. */
  readonly windowMs?: number;
  /** The clock, injectable for tests. */
  readonly now?: () => number;
}

/** Bounds memory under a spray of distinct logins: the oldest keys are forgotten first. */
const MAX_TRACKED_KEYS = 100_000;

export class FailureThrottle {
  readonly #failures = new Map<string, number[]>();
  readonly #maxPerLogin: number;
  readonly #maxPerAddress: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: ThrottleOptions = {}) {
    this.#maxPerLogin = options.maxFailuresPerLogin ?? 5;
    this.#maxPerAddress = options.maxFailuresPerAddress ?? 20;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** True when this login or this client address has failed too often recently. */
  isThrottled(login: string, remoteAddress: string): boolean {
    return (
      this.#recent(`login:${login}`) >= this.#maxPerLogin ||
      this.#recent(`addr:${remoteAddress}`) >= this.#maxPerAddress
    );
  }

  recordFailure(login: string, remoteAddress: string): void {
    for (const key of [`login:${login}`, `addr:${remoteAddress}`]) {
      const times = this.#failures.get(key) ?? [];
      times.push(this.#now());
      this.#failures.delete(key); // re-insert so Map order stays oldest-touched first
      this.#failures.set(key, times);
    }
    while (this.#failures.size > MAX_TRACKED_KEYS) {
      const oldest = this.#failures.keys().next().value;
      if (oldest === undefined) break;
      this.#failures.delete(oldest);
    }
  }

  recordSuccess(login: string): void {
    this.#failures.delete(`login:${login}`);
  }

  #recent(key: string): number {
    const times = this.#failures.get(key);
    if (!times) return 0;
    const since = this.#now() - this.#windowMs;
    const recent = times.filter((t) => t > since);
    if (recent.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, recent);
    return recent.length;
  }
}
