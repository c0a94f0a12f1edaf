/**
 * Mail addresses as the directory compares them.
 *
 * Addresses are compared case-insensitively (RFC 5321 §2.4 lets the local part be case-sensitive,
 * but no mail system people use treats `Alice@` and `alice@` as different mailboxes). The
 * plus-address separator is `+` (RFC 5233 "subaddress"), the convention of Postfix, Dovecot,
 * Gmail and Fastmail.
 */

export const SUBADDRESS_SEPARATOR = "+";

export interface ParsedAddress {
  readonly local: string;
  readonly domain: string;
}

/** Lower-cases and trims an address; undefined when it is not `local@domain`. */
export function normalizeAddress(address: string): string | undefined {
  const parsed = parseAddress(address);
  return parsed && `${parsed.local}@${parsed.domain}`;
}

export function parseAddress(address: string): ParsedAddress | undefined {
  const trimmed = address.trim().toLowerCase();
  const at = trimmed.lastIndexOf("@");
  if (at <= 0 || at === trimmed.length - 1) return undefined;
  const local = trimmed.slice(0, at);
  const domain = trimmed.slice(at + 1).replace(/\.$/, "");
  // Control characters, spaces and NULs never belong in an address we look up.
  if (/[\s\x00-\x1f\x7f]/.test(trimmed) || domain.includes("@")) return undefined;
  return { local, domain };
}

/** Splits `alice+news@example.test` into `alice@example.test` and the tag `news`. */
export function splitSubaddress(
  address: ParsedAddress,
): { readonly base: string; readonly detail: string } | undefined {
  const plus = address.local.indexOf(SUBADDRESS_SEPARATOR);
  if (plus <= 0) return undefined;
  return {
    base: `${address.local.slice(0, plus)}@${address.domain}`,
    detail: address.local.slice(plus + 1),
  };
}
