/**
 * The Sender Rewriting Scheme (SRS0, as libsrs2 and postsrsd write it): mail we forward to a
 * group's members at other domains leaves with the envelope sender rewritten into one of our
 * domains, so the receiver's SPF check (RFC 7208) looks at our SPF record, which names us,
 * instead of the original sender's, which does not:
 *
 *   alice@sender.example  ->  SRS0=HHHH=TT=sender.example=alice@our.example
 *
 * TT is the day (days since the epoch, mod 1024, two base32 characters); HHHH the first four
 * base64 characters of HMAC-SHA1(secret, TT + domain + local part), all lower case. A bounce to
 * such an address comes back to port 25, where the hash and age (21 days at most) are checked
 * before it is passed on to the original sender; nobody else can make us relay to an address
 * (RFC 5321 §7.1). The hash is compared without regard to case, as libsrs2 does, since some
 * MTAs on the way fold the local part's case.
 *
 * Not done: SRS1 (forwarding an address another forwarder already rewrote wraps it in a second
 * SRS0, which grows the local part); the null sender and our own domains are never rewritten.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const DAY_MS = 86_400_000;
/** Timestamps wrap after 1024 days (two base32 characters). */
const TIMESTAMP_PERIOD = 1024;
/** How long a rewritten address is honoured for a bounce (libsrs2's default). */
export const SRS_MAX_AGE_DAYS = 21;
const HASH_LENGTH = 4;

export interface SrsKeys {
  /** The first signs new addresses; all verify (rotation: add the new one first). */
  readonly secrets: readonly string[];
  /** Our domain that forwarded mail is sent from (its SPF record must name this MTA). */
  readonly domain: string;
}

export type SrsReversal =
  | { readonly kind: "ok"; readonly address: string }
  | { readonly kind: "invalid" }
  | { readonly kind: "expired" };

/** The sender to forward with: rewritten, unless null or already in one of `ourDomains`. */
export function srsForward(
  sender: string,
  keys: SrsKeys,
  ourDomains: readonly string[],
  now: number = Date.now(),
): string {
  const at = sender.lastIndexOf("@");
  if (sender === "" || at <= 0) return sender;
  const local = sender.slice(0, at);
  const domain = sender.slice(at + 1);
  if (ourDomains.includes(domain.toLowerCase())) return sender;
  const stamp = timestamp(now);
  const hash = srsHash(keys.secrets[0] ?? "", stamp, domain, local);
  return `SRS0=${hash}=${stamp}=${domain}=${local}@${keys.domain}`;
}

/** Whether the address's local part is an SRS0 address (ours to check). */
export function isSrsAddress(address: string): boolean {
  return /^srs0[=+-]/i.test(address);
}

/** The original sender of an SRS0 address we made; undefined when it is no SRS0 address. */
export function srsReverse(
  address: string,
  keys: SrsKeys,
  now: number = Date.now(),
): SrsReversal | undefined {
  if (!isSrsAddress(address)) return undefined;
  const at = address.lastIndexOf("@");
  const local = address.slice(5, at === -1 ? address.length : at);
  const match = /^([^=]+)=([^=]{2})=([^=]+)=(.+)$/.exec(local);
  if (!match) return { kind: "invalid" };
  const [, hash = "", stamp = "", domain = "", user = ""] = match;
  const valid = keys.secrets.some((secret) =>
    sameIgnoringCase(hash, srsHash(secret, stamp.toUpperCase(), domain, user)),
  );
  if (!valid) return { kind: "invalid" };
  const age = ageInDays(stamp.toUpperCase(), now);
  if (age === undefined || age > SRS_MAX_AGE_DAYS) return { kind: "expired" };
  return { kind: "ok", address: `${user}@${domain}` };
}

function srsHash(secret: string, stamp: string, domain: string, local: string): string {
  return createHmac("sha1", secret)
    .update(`${stamp}${domain}${local}`.toLowerCase())
    .digest("base64")
    .slice(0, HASH_LENGTH);
}

function timestamp(now: number): string {
  const day = Math.floor(now / DAY_MS) % TIMESTAMP_PERIOD;
  return `${BASE32[day >> 5]}${BASE32[day & 31]}`;
}

function ageInDays(stamp: string, now: number): number | undefined {
  const high = BASE32.indexOf(stamp[0] ?? "");
  const low = BASE32.indexOf(stamp[1] ?? "");
  if (high === -1 || low === -1) return undefined;
  const today = Math.floor(now / DAY_MS) % TIMESTAMP_PERIOD;
  return (today - ((high << 5) | low) + TIMESTAMP_PERIOD) % TIMESTAMP_PERIOD;
}

function sameIgnoringCase(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Shortest secret accepted: 128 bits of base64 or hex are longer than this. */
const MIN_SECRET_LENGTH = 16;

/** Reads the secrets file: one secret a line, the first signs; blank lines and `#` lines skipped. */
export function readSrsKeys(path: string, domain: string): SrsKeys {
  const secrets = readFileSync(path, "utf8")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  if (secrets.length === 0) throw new Error(`${path}: no SRS secret`);
  if (secrets.some((s) => s.length < MIN_SECRET_LENGTH)) {
    throw new Error(`${path}: an SRS secret is shorter than ${MIN_SECRET_LENGTH} characters`);
  }
  return { secrets, domain };
}

/** Where a bounce for mail sent with `from` goes: the original sender of our SRS addresses. */
export function returnPath(from: string, keys: SrsKeys | undefined): string {
  if (!keys) return from;
  const reversal = srsReverse(from, keys);
  return reversal?.kind === "ok" ? reversal.address : from;
}
