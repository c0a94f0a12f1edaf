/**
 * What must change in the stack's own LDAP subtree so that it holds exactly the desired entries:
 * a pure function from (what is there, what should be there) to an ordered list of LDAP
 * operations. The dynamic provider (ldap-sync-provider.ts) reads the subtree, calls this, and
 * applies the result; nothing here does I/O.
 *
 * This module is serialized into the dynamic provider with the provider's methods, so it must
 * not import anything at run time (type imports are erased).
 */
import type { LdapEntry } from "../../servers/shared/directory/ldap-entries.ts";

export type LdapChange =
  | { readonly kind: "add"; readonly entry: LdapEntry }
  | {
      readonly kind: "modify";
      readonly dn: string;
      /** Attributes whose values become exactly these. */
      readonly replace: Readonly<Record<string, readonly string[]>>;
      /** Attributes removed altogether. */
      readonly remove: readonly string[];
    }
  | { readonly kind: "delete"; readonly dn: string };

/**
 * A DN in the form used to compare DNs: lower case, no spaces around separators. Our DNs are
 * built by ldap-entries.ts, so this is enough to match what slapd hands back; it is not a full
 * RFC 4514 normalization.
 */
export function dnKey(dn: string): string {
  return dn
    .toLowerCase()
    .replace(/\s*([,=+])\s*/g, "$1")
    .trim();
}

/** How many RDNs a DN has (escaped commas do not separate). */
export function dnDepth(dn: string): number {
  return dn.split(/(?<!\\),/).length;
}

/** True when `dn` is `base` or below it. */
export function isWithin(dn: string, base: string): boolean {
  const d = dnKey(dn);
  const b = dnKey(base);
  return d === b || d.endsWith(`,${b}`);
}

/** Attributes whose values compare without case (their schema says so for every value we write). */
const CASE_FREE = new Set(["objectclass"]);

function sameValues(name: string, a: readonly string[], b: readonly string[]): boolean {
  const norm = (list: readonly string[]) =>
    [...(CASE_FREE.has(name) ? list.map((v) => v.toLowerCase()) : list)].sort();
  const x = norm(a);
  const y = norm(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function byName(entry: LdapEntry): Map<string, { name: string; values: readonly string[] }> {
  const map = new Map<string, { name: string; values: readonly string[] }>();
  for (const [name, values] of Object.entries(entry.attributes)) {
    if (values.length > 0) map.set(name.toLowerCase(), { name, values });
  }
  return map;
}

/** The modification that turns `actual` into `desired` (same DN), or undefined when they agree. */
export function entryChange(actual: LdapEntry, desired: LdapEntry): LdapChange | undefined {
  const have = byName(actual);
  const want = byName(desired);
  const replace: Record<string, readonly string[]> = {};
  const remove: string[] = [];
  for (const [key, { name, values }] of want) {
    const current = have.get(key);
    if (!current || !sameValues(key, current.values, values)) replace[name] = values;
  }
  for (const [key, { name }] of have) if (!want.has(key)) remove.push(name);
  if (Object.keys(replace).length === 0 && remove.length === 0) return undefined;
  return { kind: "modify", dn: desired.dn, replace, remove };
}

/**
 * The operations that make the subtree `ownedBase` hold exactly `desired`: adds parent first,
 * then modifications, then deletions deepest first. `actual` is everything found at or below
 * `ownedBase`; the base entry itself is never deleted here (the provider's delete does that).
 * A desired entry outside `ownedBase` is a programming error and throws.
 */
export function planChanges(
  actual: readonly LdapEntry[],
  desired: readonly LdapEntry[],
  ownedBase: string,
): LdapChange[] {
  const found = new Map(actual.map((e) => [dnKey(e.dn), e]));
  const wanted = new Map<string, LdapEntry>();
  for (const entry of desired) {
    if (!isWithin(entry.dn, ownedBase)) {
      throw new RangeError(`${entry.dn} is outside the stack's subtree ${ownedBase}`);
    }
    const key = dnKey(entry.dn);
    if (wanted.has(key)) throw new RangeError(`${entry.dn} is declared twice`);
    wanted.set(key, entry);
  }
  const adds: LdapChange[] = [];
  const modifies: LdapChange[] = [];
  for (const [key, entry] of wanted) {
    const current = found.get(key);
    if (!current) {
      adds.push({ kind: "add", entry });
      continue;
    }
    const change = entryChange(current, entry);
    if (change) modifies.push(change);
  }
  const deletes: LdapChange[] = [...found]
    .filter(([key]) => !wanted.has(key) && key !== dnKey(ownedBase))
    .map(([, entry]) => ({ kind: "delete", dn: entry.dn }));
  const depth = (c: LdapChange) => dnDepth(c.kind === "add" ? c.entry.dn : c.dn);
  adds.sort((a, b) => depth(a) - depth(b));
  deletes.sort((a, b) => depth(b) - depth(a));
  return [...adds, ...modifies, ...deletes];
}
