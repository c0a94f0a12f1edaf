/**
 * Login throttling: failed logins are counted per address and per client IP over a sliding
 * window; past the limit a login is refused before the IMAP server is asked, so a guesser learns
 * nothing and costs the IMAP server nothing. A success clears the address's count.
 */

export interface ThrottleLimits {
  readonly failuresPerAddress: number;
  readonly failuresPerIp: number;
  readonly windowSeconds: number;
}

export type ThrottleCheck =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly now: () => number = Date.now,
  ) {}

  check(address: string, ip: string): ThrottleCheck {
    const waits = [
      this.wait(addressKey(address), this.limits.failuresPerAddress),
      this.wait(ipKey(ip), this.limits.failuresPerIp),
    ].filter((w) => w > 0);
    if (waits.length === 0) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.ceil(Math.max(...waits) / 1000) };
  }

  recordFailure(address: string, ip: string): void {
    const at = this.now();
    for (const key of [addressKey(address), ipKey(ip)]) {
      const list = this.recent(key);
      list.push(at);
      this.failures.set(key, list);
    }
  }

  recordSuccess(address: string): void {
    this.failures.delete(addressKey(address));
  }

  /** Drops entries whose failures have all left the window. */
  sweep(): void {
    for (const key of [...this.failures.keys()]) {
      if (this.recent(key).length === 0) this.failures.delete(key);
    }
  }

  /** Milliseconds until another attempt is allowed under `key`; 0 when it is allowed now. */
  private wait(key: string, limit: number): number {
    const list = this.recent(key);
    if (list.length < limit) return 0;
    // The attempt is allowed again once enough of the oldest failures have left the window.
    const oldestThatMustLeave = list[list.length - limit] ?? this.now();
    return Math.max(1, oldestThatMustLeave + this.limits.windowSeconds * 1000 - this.now());
  }

  private recent(key: string): number[] {
    const since = this.now() - this.limits.windowSeconds * 1000;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }
}

const addressKey = (address: string) => `a:${address.toLowerCase()}`;
const ipKey = (ip: string) => `i:${ip}`;
