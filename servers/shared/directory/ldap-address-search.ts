/**
 * Address autocompletion over LDAP: the filters that find users and groups by the start of an
 * address or a name, and the candidate each entry gives (directory.ts applies the exact rule).
 *
 * Up to three searches, each only when the ones before found too few: values that begin with the
 * prefix (addresses, names, a surname); names that hold it anywhere, which is how a later word of
 * a name is found (slapd cannot match a word start); and entries with aliases, whose prefixes
 * slapd cannot match at all (see withAliasesFilter).
 * Values go to slapd as BER substring components (ldapts SubstringFilter), never parsed as
 * filter syntax: a `*` or `)` typed by a user is an ordinary character.
 */
import {
  AndFilter,
  EqualityFilter,
  type Entry,
  type Filter,
  OrFilter,
  PresenceFilter,
  SubstringFilter,
} from "ldapts";
import type { AddressCandidate } from "./backend.ts";
import {
  GROUP_CLASS,
  groupAddress,
  isGroupEntry,
  isUserEntry,
  toUser,
  USER_CLASS,
  values,
} from "./ldap-entries.ts";

/** What a candidate needs from an entry (no members: a suggestion does not expand a group). */
export const CANDIDATE_ATTRIBUTES = [
  "objectClass",
  "uid",
  "cn",
  "displayName",
  "description",
  "mail",
  "mailLocalAddress",
];

const ADDRESS_ATTRIBUTES = ["mail", "mailLocalAddress"];
const NAME_ATTRIBUTES = ["cn", "displayName", "description", "sn"];

const kinds = (): Filter =>
  new OrFilter({
    filters: [
      new EqualityFilter({ attribute: "objectClass", value: USER_CLASS }),
      new EqualityFilter({ attribute: "objectClass", value: GROUP_CLASS }),
    ],
  });

/** Users and groups with an address or a name that starts with `prefix`. */
export function startsWithFilter(prefix: string): Filter {
  return new AndFilter({
    filters: [
      kinds(),
      new OrFilter({
        filters: [...ADDRESS_ATTRIBUTES, ...NAME_ATTRIBUTES].map(
          (attribute) => new SubstringFilter({ attribute, initial: prefix }),
        ),
      }),
    ],
  });
}

/** Users and groups with a name that holds `prefix` anywhere. */
export function nameContainsFilter(prefix: string): Filter {
  return new AndFilter({
    filters: [
      kinds(),
      new OrFilter({
        filters: NAME_ATTRIBUTES.map(
          (attribute) => new SubstringFilter({ attribute, any: [prefix] }),
        ),
      }),
    ],
  });
}

/**
 * Entries with aliases, to match alias prefixes here: misc.schema gives `mailLocalAddress` no
 * substring rule, so slapd cannot. At most ALIAS_SCAN_LIMIT of them are looked at.
 */
export function withAliasesFilter(): Filter {
  return new AndFilter({
    filters: [kinds(), new PresenceFilter({ attribute: "mailLocalAddress" })],
  });
}
export const ALIAS_SCAN_LIMIT = 500;

/** The candidate an entry gives; undefined for entries that are neither users nor groups. */
export function toCandidate(entry: Entry): AddressCandidate | undefined {
  if (isUserEntry(entry)) {
    const user = toUser(entry);
    return (
      user && {
        kind: "user",
        address: user.address,
        displayName: user.displayName,
        aliases: user.aliases,
      }
    );
  }
  if (!isGroupEntry(entry)) return undefined;
  const address = groupAddress(entry);
  if (address === undefined) return undefined;
  const aliases = values(entry, "mailLocalAddress")
    .map((a) => a.toLowerCase())
    .filter((a) => a !== address && !a.startsWith("@"));
  const displayName = values(entry, "description")[0] ?? values(entry, "cn")[0] ?? address;
  return { kind: "group", address, displayName, aliases };
}
