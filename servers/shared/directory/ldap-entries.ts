/**
 * How users and groups are stored in LDAP, in one place: the attributes we read, the filters we
 * search with, and the entries we write (the test harness seeds slapd with `userEntry` and
 * `groupEntry`, so reading and writing cannot drift apart).
 *
 * The standard schemas core, cosine, inetorgperson and misc (RFC 2798 inetOrgPerson,
 * draft-lachman-laser-ldap-mail-routing's inetLocalMailRecipient), and for the one thing they
 * lack, a quota, our own small schema (images/directory/mailstack.schema).
 *
 * A user is `inetOrgPerson` + `inetLocalMailRecipient`, by convention at `uid=<id>,ou=people,<base>`:
 * - `uid`: the stable id; `cn`: the display name (an explicit `displayName` wins when present);
 *   `sn`: required by `person`, not used.
 * - `mail`: the primary address, which is also the login. Further `mail` values count as aliases.
 * - `mailLocalAddress` (multi-valued): aliases. A value `@domain` makes the user the catch-all
 *   for that domain; it is never reported as an alias.
 * - `userPassword`: `{ARGON2}$argon2id$...` or `{CRYPT}$2b$...`; slapd checks it on bind, we
 *   never read it (the service account is not allowed to).
 * - `mailstackQuota` (with the auxiliary class `mailstackMailbox`): the quota in bytes. Absent,
 *   or a directory without our schema, means no quota; a value that is not a whole number of
 *   bytes is ignored (no quota) rather than guessed at.
 *
 * A group is `groupOfNames` + `inetLocalMailRecipient`, by convention at `cn=<name>,ou=groups,<base>`:
 * - `mailLocalAddress`: the group's address (groupOfNames does not allow `mail`), and `@domain`
 *   when the group is a domain's catch-all. A group should have one address; when it has several,
 *   the one looked up is reported.
 * - `description`: the display name (groupOfNames has no `displayName`); else the `cn`.
 * - `member`: DNs of users (or of nested groups). A member's address is its `mail`, or for a
 *   nested group its address; members that do not exist are skipped.
 *
 * Matching is case-insensitive because `mail` and `mailLocalAddress` use caseIgnoreIA5Match.
 * Filters are built from ldapts Filter objects, which send values as BER octet strings, so no
 * value is ever parsed as filter syntax (no LDAP injection).
 */
import { AndFilter, EqualityFilter, type Entry, type Filter, OrFilter } from "ldapts";
import type { Group, User } from "./types.ts";

export const USER_CLASS = "inetOrgPerson";
export const GROUP_CLASS = "groupOfNames";
/** mailstack.schema: the auxiliary class and attribute that carry a user's quota. */
export const MAILBOX_CLASS = "mailstackMailbox";
export const QUOTA_ATTRIBUTE = "mailstackQuota";

/** Everything lookup needs from a user or a group entry, in one search. */
export const ENTRY_ATTRIBUTES = [
  "objectClass",
  "uid",
  "cn",
  "displayName",
  "description",
  "mail",
  "mailLocalAddress",
  "member",
  QUOTA_ATTRIBUTE,
];
/** What a group member search needs. */
export const MEMBER_ATTRIBUTES = ["mail", "mailLocalAddress"];

/** The `mailLocalAddress` value that makes an entry the catch-all of `domain`. */
export function catchAllValue(domain: string): string {
  return `@${domain}`;
}

const isCatchAll = (value: string): boolean => value.startsWith("@");

const eq = (attribute: string, value: string): Filter => new EqualityFilter({ attribute, value });

/** Users and groups whose primary address or an alias is `address`. */
export function addressFilter(address: string): Filter {
  return new AndFilter({
    filters: [
      new OrFilter({ filters: [eq("objectClass", USER_CLASS), eq("objectClass", GROUP_CLASS)] }),
      new OrFilter({ filters: [eq("mail", address), eq("mailLocalAddress", address)] }),
    ],
  });
}

/** Users who may log in as `login` (primary address or alias). */
export function loginFilter(login: string): Filter {
  return new AndFilter({
    filters: [
      eq("objectClass", USER_CLASS),
      new OrFilter({ filters: [eq("mail", login), eq("mailLocalAddress", login)] }),
    ],
  });
}

/** Users and groups that are the catch-all of `domain`. */
export function catchAllFilter(domain: string): Filter {
  return new AndFilter({
    filters: [
      new OrFilter({ filters: [eq("objectClass", USER_CLASS), eq("objectClass", GROUP_CLASS)] }),
      eq("mailLocalAddress", catchAllValue(domain)),
    ],
  });
}

/** The values of an attribute, whatever case the server spelled its name in. */
export function values(entry: Entry, attribute: string): string[] {
  const wanted = attribute.toLowerCase();
  const key = Object.keys(entry).find((k) => k.toLowerCase() === wanted);
  const raw = key === undefined ? [] : entry[key];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString("utf8") : v));
}

const lower = (list: readonly string[]): string[] => list.map((v) => v.toLowerCase());

export function isUserEntry(entry: Entry): boolean {
  return lower(values(entry, "objectClass")).includes(USER_CLASS.toLowerCase());
}

export function isGroupEntry(entry: Entry): boolean {
  return lower(values(entry, "objectClass")).includes(GROUP_CLASS.toLowerCase());
}

/** A user from its entry; undefined when the entry has no `uid` or no `mail`. */
export function toUser(entry: Entry): User | undefined {
  const [id] = values(entry, "uid");
  const [address, ...moreMail] = lower(values(entry, "mail"));
  if (id === undefined || address === undefined) return undefined;
  const aliases = new Set([...moreMail, ...lower(values(entry, "mailLocalAddress"))]);
  aliases.delete(address);
  const displayName = values(entry, "displayName")[0] ?? values(entry, "cn")[0] ?? id;
  return {
    id,
    address,
    displayName,
    aliases: [...aliases].filter((a) => !isCatchAll(a)),
    quotaBytes: quotaOf(entry),
  };
}

/** The entry's quota in bytes: a non-negative whole number, else none. */
function quotaOf(entry: Entry): number | undefined {
  const [raw] = values(entry, QUOTA_ATTRIBUTE);
  if (raw === undefined || !/^\d{1,16}$/.test(raw.trim())) return undefined;
  const bytes = Number(raw.trim());
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** The address a group is reached at: `preferred` when it is one of them, else the first. */
export function groupAddress(entry: Entry, preferred?: string): string | undefined {
  const addresses = lower(values(entry, "mailLocalAddress")).filter((a) => !isCatchAll(a));
  if (preferred !== undefined && addresses.includes(preferred)) return preferred;
  return addresses[0];
}

/** A group from its entry and its members' addresses (resolved by the caller). */
export function toGroup(entry: Entry, address: string, members: readonly string[]): Group {
  const displayName = values(entry, "description")[0] ?? values(entry, "cn")[0] ?? address;
  return { address, displayName, members: [...new Set(lower(members))] };
}

/** The address mail to a member entry goes to: its `mail`, or a nested group's address. */
export function memberAddress(entry: Entry): string | undefined {
  return lower(values(entry, "mail"))[0] ?? groupAddress(entry);
}

/** An entry to write: a DN and its attributes, each with one or more values. */
export interface LdapEntry {
  readonly dn: string;
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

/** Escapes an RDN value (RFC 4514 §2.4). */
export function escapeDnValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/\0/g, "\\00")
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, "\\ ");
}

export const peopleDN = (baseDN: string): string => `ou=people,${baseDN}`;
export const groupsDN = (baseDN: string): string => `ou=groups,${baseDN}`;
export const userDN = (baseDN: string, id: string): string =>
  `uid=${escapeDnValue(id)},${peopleDN(baseDN)}`;
export const groupDN = (baseDN: string, cn: string): string =>
  `cn=${escapeDnValue(cn)},${groupsDN(baseDN)}`;

export interface UserEntryInput {
  readonly id: string;
  readonly address: string;
  readonly displayName: string;
  readonly aliases: readonly string[];
  /** Domains whose unknown addresses this user receives. */
  readonly catchAllDomains?: readonly string[];
  /** The `userPassword` value, e.g. from `toLdapUserPassword`. */
  readonly userPassword?: string;
  /** The mailbox quota in bytes (mailstack.schema); none when undefined. */
  readonly quotaBytes?: number | undefined;
}

export function userEntry(baseDN: string, user: UserEntryInput): LdapEntry {
  const local = [...user.aliases, ...(user.catchAllDomains ?? []).map(catchAllValue)];
  const sn = user.displayName.trim().split(/\s+/).pop() || user.id;
  return {
    dn: userDN(baseDN, user.id),
    attributes: {
      objectClass: [
        USER_CLASS,
        "inetLocalMailRecipient",
        ...(user.quotaBytes === undefined ? [] : [MAILBOX_CLASS]),
      ],
      uid: [user.id],
      cn: [user.displayName],
      sn: [sn],
      mail: [user.address],
      ...(local.length > 0 ? { mailLocalAddress: local } : {}),
      ...(user.userPassword !== undefined ? { userPassword: [user.userPassword] } : {}),
      ...(user.quotaBytes === undefined ? {} : { [QUOTA_ATTRIBUTE]: [String(user.quotaBytes)] }),
    },
  };
}

export interface GroupEntryInput {
  readonly cn: string;
  readonly address: string;
  readonly displayName: string;
  /** DNs of the member entries (groupOfNames requires at least one). */
  readonly memberDNs: readonly string[];
  readonly catchAllDomains?: readonly string[];
}

export function groupEntry(baseDN: string, group: GroupEntryInput): LdapEntry {
  return {
    dn: groupDN(baseDN, group.cn),
    attributes: {
      objectClass: [GROUP_CLASS, "inetLocalMailRecipient"],
      cn: [group.cn],
      description: [group.displayName],
      mailLocalAddress: [group.address, ...(group.catchAllDomains ?? []).map(catchAllValue)],
      member: group.memberDNs,
    },
  };
}
