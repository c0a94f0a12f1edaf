/**
 * The rules every directory backend shares: address normalization, plus-addressing, catch-all,
 * throttling of repeated failures, and failures that cost the same time whether the user exists.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { normalizeAddress, parseAddress, splitSubaddress } from "./address.ts";
import { isUser, type DirectoryBackend } from "./backend.ts";
import { hashPassword, verifyAgainstDummy } from "./passwords.ts";
import { FailureThrottle, type ThrottleOptions } from "./throttle.ts";
import {
  DirectoryUnavailableError,
  type AddressSuggestion,
  type AuthContext,
  type AuthResult,
  type Directory,
  type Group,
  type PasswordChangeResult,
  type Resolution,
  type User,
} from "./types.ts";

export interface DirectoryOptions {
  /** The domains we receive mail for (from the stack config). */
  readonly domains: readonly string[];
  readonly throttle?: ThrottleOptions;
  /**
   * Every failed login takes at least this long (milliseconds), so that neither the existence of
   * the user nor the backend's speed shows in the reply time. Default 300.
   */
  readonly failureFloorMs?: number;
}

/** Logins and passwords longer than this are refused without asking the backend. */
const MAX_CREDENTIAL_LENGTH = 1024;

/**
 * The shortest new password a user may choose, in characters (Unicode code points): NIST SP
 * 800-63B-4 §3.1.1.2 asks for 15 when the password is the only factor, as it is for mail.
 */
export const MIN_PASSWORD_LENGTH = 15;
/** The longest new password: the longest one a login accepts. */
export const MAX_PASSWORD_LENGTH = MAX_CREDENTIAL_LENGTH;

/** Address autocompletion: the longest prefix looked up, and the most suggestions at once. */
const MAX_PREFIX_LENGTH = 64;
const MAX_SUGGESTIONS = 50;

export function createDirectory(backend: DirectoryBackend, options: DirectoryOptions): Directory {
  const domains = Object.freeze(options.domains.map((d) => d.toLowerCase().replace(/\.$/, "")));
  const localDomains = new Set(domains);
  const throttle = new FailureThrottle(options.throttle);
  const failureFloorMs = options.failureFloorMs ?? 300;

  /**
   * Waits until `failureFloorMs` have passed since `started`. A timer can fire early by as long
   * as the event loop last ran without updating its clock, so it waits again until it has.
   */
  async function untilFloor(started: number): Promise<void> {
    for (;;) {
      const left = failureFloorMs - (performance.now() - started);
      if (left <= 0) return;
      await sleep(Math.ceil(left));
    }
  }

  async function authenticate(
    login: string,
    password: string,
    context: AuthContext,
  ): Promise<AuthResult> {
    const started = performance.now();
    const key = normalizeAddress(login) ?? login.toLowerCase();
    const fail = async (reason: "invalid" | "throttled" | "unavailable"): Promise<AuthResult> => {
      if (reason === "invalid") throttle.recordFailure(key, context.remoteAddress);
      await untilFloor(started);
      return { ok: false, reason };
    };

    if (throttle.isThrottled(key, context.remoteAddress)) return fail("throttled");
    if (
      password.length === 0 ||
      password.length > MAX_CREDENTIAL_LENGTH ||
      login.length > MAX_CREDENTIAL_LENGTH ||
      normalizeAddress(login) === undefined
    ) {
      await verifyAgainstDummy(password.slice(0, MAX_CREDENTIAL_LENGTH));
      return fail("invalid");
    }
    try {
      const check = await backend.checkPassword(key, password);
      if (check.kind === "ok") {
        throttle.recordSuccess(key);
        return { ok: true, user: check.user };
      }
      if (check.kind === "no-such-user") await verifyAgainstDummy(password);
      return fail("invalid");
    } catch (error) {
      if (error instanceof DirectoryUnavailableError) return fail("unavailable");
      throw error;
    }
  }

  async function changePassword(
    login: string,
    currentPassword: string,
    newPassword: string,
    context: AuthContext,
  ): Promise<PasswordChangeResult> {
    const started = performance.now();
    const key = normalizeAddress(login) ?? login.toLowerCase();
    const fail = async (
      reason: "invalid" | "throttled" | "unavailable",
    ): Promise<PasswordChangeResult> => {
      if (reason === "invalid") throttle.recordFailure(key, context.remoteAddress);
      await untilFloor(started);
      return { ok: false, reason };
    };

    if (throttle.isThrottled(key, context.remoteAddress)) return fail("throttled");
    const length = [...newPassword].length;
    if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
      return { ok: false, reason: "weak" };
    }
    if (
      currentPassword.length === 0 ||
      currentPassword.length > MAX_CREDENTIAL_LENGTH ||
      login.length > MAX_CREDENTIAL_LENGTH ||
      normalizeAddress(login) === undefined
    ) {
      await verifyAgainstDummy(currentPassword.slice(0, MAX_CREDENTIAL_LENGTH));
      return fail("invalid");
    }
    try {
      const newHash = await hashPassword(newPassword);
      const check = await backend.changePassword(key, currentPassword, newHash);
      if (check.kind === "ok") {
        throttle.recordSuccess(key);
        return { ok: true };
      }
      if (check.kind === "no-such-user") await verifyAgainstDummy(currentPassword);
      return fail("invalid");
    } catch (error) {
      if (error instanceof DirectoryUnavailableError) return fail("unavailable");
      throw error;
    }
  }

  async function searchAddresses(
    prefix: string,
    limit: number,
  ): Promise<readonly AddressSuggestion[]> {
    const wanted = prefix.trim().toLowerCase();
    const count = Math.min(Math.max(0, Math.floor(limit)), MAX_SUGGESTIONS);
    if (wanted.length === 0 || wanted.length > MAX_PREFIX_LENGTH || /[\x00-\x1f]/.test(wanted)) {
      return [];
    }
    if (count === 0) return [];
    const candidates = await backend.addressCandidates(wanted, MAX_SUGGESTIONS * 2);
    const seen = new Set<string>();
    const found: AddressSuggestion[] = [];
    for (const c of candidates) {
      if (seen.has(c.address) || !matchesPrefix(c, wanted)) continue;
      seen.add(c.address);
      found.push({ kind: c.kind, address: c.address, displayName: c.displayName });
    }
    return found
      .sort(
        (a, b) =>
          a.displayName.localeCompare(b.displayName, "en", { sensitivity: "base" }) ||
          a.address.localeCompare(b.address),
      )
      .slice(0, count);
  }

  async function resolve(address: string): Promise<Resolution> {
    const parsed = parseAddress(address);
    if (!parsed) return { kind: "unknown", localDomain: false };
    if (!localDomains.has(parsed.domain)) return { kind: "unknown", localDomain: false };

    const full = `${parsed.local}@${parsed.domain}`;
    const exact = await backend.lookup(full);
    if (exact) return toResolution(exact, full, undefined);

    const sub = splitSubaddress(parsed);
    if (sub) {
      const base = await backend.lookup(sub.base);
      if (base) return toResolution(base, sub.base, sub.detail);
    }

    const catchAll = await backend.catchAll(parsed.domain);
    if (catchAll && !isUser(catchAll)) return { kind: "group", group: catchAll };
    if (catchAll) return { kind: "user", user: catchAll, via: "catch-all" };
    return { kind: "unknown", localDomain: true };
  }

  function toResolution(
    entry: User | Group,
    matched: string,
    detail: string | undefined,
  ): Resolution {
    if (!isUser(entry)) return { kind: "group", group: entry, detail };
    const via = entry.address === matched ? "primary" : "alias";
    return { kind: "user", user: entry, detail, via };
  }

  async function findUser(address: string): Promise<User | undefined> {
    const normalized = normalizeAddress(address);
    if (!normalized) return undefined;
    const entry = await backend.lookup(normalized);
    return entry && isUser(entry) ? entry : undefined;
  }

  return Object.freeze({
    authenticate,
    changePassword,
    searchAddresses,
    resolve,
    findUser,
    domains: () => Promise.resolve(domains),
    close: () => backend.close(),
  });
}

/** The rule of address autocompletion: an address, the whole name or one of its words starts with `prefix`. */
export function matchesPrefix(
  candidate: {
    readonly address: string;
    readonly displayName: string;
    readonly aliases: readonly string[];
  },
  prefix: string,
): boolean {
  if ([candidate.address, ...candidate.aliases].some((a) => a.toLowerCase().startsWith(prefix))) {
    return true;
  }
  const name = candidate.displayName.toLowerCase();
  return (
    name.startsWith(prefix) || name.split(/[\s,.;:()"'<>/-]+/).some((w) => w.startsWith(prefix))
  );
}
