/**
 * What a recipient address is, before anyone is asked about it: one of our domains, another
 * domain, or one of the routing tricks that open relays were once tested with.
 *
 * smtp-server has already parsed the path (RFC 5321 §4.1.2): it refused addresses with two `@`
 * outside quotes, trailing or doubled dots and bad address literals (501), and it dropped source
 * routes (`@a,@b:user@host` is `user@host`, as §4.1.2 and Appendix C ask), so the domain judged
 * here is the one the mail would really go to. What is left to refuse (RFC 5321 §3.6.2, §7.1:
 * no relaying for strangers, and no local part that means "then send it on"):
 *
 * - `%` (the "percent hack": `user%other@ours` was relayed by old sendmail to `user@other`),
 * - `!` (UUCP bang paths: `other!user@ours`),
 * - `@` inside a quoted local part (`"user@other"@ours`),
 * - address literals (`user@[192.0.2.1]`): not a domain of ours, and on submission an open door to
 *   make us connect wherever the sender likes.
 */
export type AddressClass =
  | { readonly kind: "local"; readonly address: string; readonly domain: string }
  | { readonly kind: "remote"; readonly address: string; readonly domain: string }
  | { readonly kind: "routed"; readonly why: string };

/** RFC 5321 §4.5.1: `Postmaster` without a domain must be accepted; it means ours. */
const DOMAINLESS_POSTMASTER = /^postmaster$/i;

/**
 * RFC 6531 §3.4: an address with non-ASCII characters may only appear in a transaction whose
 * MAIL FROM carried SMTPUTF8; otherwise 553 5.6.7 (RFC 6533).
 */
export function utf8WithoutSmtpUtf8(address: string, smtpUtf8: boolean | undefined): boolean {
  return smtpUtf8 !== true && /[^\x00-\x7f]/.test(address);
}

export function classifyAddress(address: string, domains: readonly string[]): AddressClass {
  const [firstDomain] = domains;
  if (DOMAINLESS_POSTMASTER.test(address) && firstDomain !== undefined) {
    return { kind: "local", address: `postmaster@${firstDomain}`, domain: firstDomain };
  }
  const at = address.lastIndexOf("@");
  if (at <= 0) return { kind: "routed", why: "no domain" };
  const local = address.slice(0, at);
  const domain = address
    .slice(at + 1)
    .toLowerCase()
    .replace(/\.$/, "");
  if (domain.startsWith("[")) return { kind: "routed", why: "address literal" };
  if (local.includes("%")) return { kind: "routed", why: "percent hack" };
  if (local.includes("!")) return { kind: "routed", why: "bang path" };
  if (local.includes("@")) return { kind: "routed", why: "quoted @ in the local part" };
  if (/[\s\x00-\x1f\x7f]/.test(address)) return { kind: "routed", why: "control characters" };
  const normalized = `${local}@${domain}`;
  return domains.includes(domain)
    ? { kind: "local", address: normalized, domain }
    : { kind: "remote", address: normalized, domain };
}
