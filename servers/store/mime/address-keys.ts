/**
 * What SORT and SEARCH compare of an address list, taken from its ENVELOPE form (address.ts):
 * a group is a start marker (host null, mailbox = group name), then its members, then an end
 * marker. The SQLite backend calls these on the envelope kept at append time where its search
 * and sort columns fall short: a list that starts with a group (SORT), an address with comments
 * inside it (SEARCH).
 */
import type { Address } from "./address.ts";
import { decodeHeaderValue, searchForm } from "./encoding.ts";

/**
 * RFC 5256 §3 FROM/TO/CC: the addr-mailbox of the first address, i;ascii-casemap (ASCII letters
 * uppercased). When the list starts with a group, its first "address" is the group: its name
 * is the key, as Dovecot does (imaptest sort-addresses).
 */
export function addressSortKey(first: Address | undefined): string {
  return (first?.mailbox ?? "").replace(/[a-z]+/g, (m) => m.toUpperCase());
}

/**
 * RFC 5957 §3 DISPLAYFROM/DISPLAYTO: the decoded display name of the first address, or its
 * addr-spec when it has none; for a group, the group name (imaptest sort-display-to). Compared
 * in search form, which approximates i;unicode-casemap.
 */
export function displaySortKey(first: Address | undefined): string {
  if (!first) return "";
  if (first.host === null) return searchForm(decodeHeaderValue(first.mailbox ?? "").trim());
  const name = first.name === null ? "" : decodeHeaderValue(first.name).trim();
  if (name !== "") return searchForm(name);
  const spec = first.host === "" ? (first.mailbox ?? "") : `${first.mailbox ?? ""}@${first.host}`;
  return searchForm(spec);
}

/**
 * The text SEARCH FROM/TO/CC/BCC matches besides the header as written (RFC 9051 §6.4.4: "the
 * envelope structure's FROM field"): per address its decoded name and its addr-spec without
 * comments or folding, so `<user (comment)@ (comment) host>` is found as `user@host`.
 */
export function addressSearchText(list: readonly Address[] | null): string {
  const out: string[] = [];
  for (const address of list ?? []) {
    if (address.name !== null) out.push(decodeHeaderValue(address.name));
    if (address.mailbox === null) continue;
    out.push(address.host ? `${address.mailbox}@${address.host}` : address.mailbox);
  }
  return searchForm(out.join("\n"));
}
