/**
 * LDIF (RFC 2849) for seeding the test slapd: a serializer and the fixture directory as entries.
 * Pure functions; the entries themselves come from servers/shared/directory/ldap-entries.ts so
 * the tests write exactly the model the backend reads.
 */
import {
  groupEntry,
  userDN,
  userEntry,
  type LdapEntry,
} from "../../servers/shared/directory/ldap-entries.ts";
import { toLdapUserPassword } from "../../servers/shared/directory/passwords.ts";
import { fixtureCatchAll, fixtureGroups, fixtureUsers } from "../fixtures/directory.ts";

/** RFC 2849 recommends lines of at most 76 characters; longer ones are folded. */
const LINE_WIDTH = 76;

/**
 * True when a value cannot be written as a SAFE-STRING (RFC 2849 §3) and goes base64 (`::`):
 * non-ASCII or NUL/CR/LF anywhere, a leading space, colon or `<`, or a trailing space (which
 * editors and some parsers lose).
 */
export function needsBase64(value: string): boolean {
  return /[^\x01-\x09\x0b\x0c\x0e-\x7f]/.test(value) || /^[ :<]/.test(value) || / $/.test(value);
}

/** One `name: value` line (or `name:: base64`), folded to LINE_WIDTH. */
export function ldifLine(name: string, value: string): string {
  if (!/^[A-Za-z][A-Za-z0-9-]*(;[A-Za-z0-9-]+)*$/.test(name)) {
    throw new RangeError(`not an LDIF attribute description: ${JSON.stringify(name)}`);
  }
  const line = needsBase64(value)
    ? `${name}:: ${Buffer.from(value, "utf8").toString("base64")}`
    : value === ""
      ? `${name}:`
      : `${name}: ${value}`;
  // After needsBase64 every line is ASCII, so cutting by characters never splits a character.
  const parts = [line.slice(0, LINE_WIDTH)];
  for (let i = LINE_WIDTH; i < line.length; i += LINE_WIDTH - 1) {
    parts.push(` ${line.slice(i, i + LINE_WIDTH - 1)}`);
  }
  return parts.join("\n");
}

/**
 * Entries as LDIF, one blank line between them. There is no `version: 1` line: slapadd reads
 * it as an attribute of the first entry ("str2ad(version): attribute type undefined").
 */
export function toLdif(entries: readonly LdapEntry[]): string {
  const blocks = entries.map((entry) => {
    const lines = [ldifLine("dn", entry.dn)];
    for (const [name, list] of Object.entries(entry.attributes)) {
      for (const value of list) lines.push(ldifLine(name, value));
    }
    return lines.join("\n");
  });
  return `${blocks.join("\n\n")}\n`;
}

export interface ServiceAccount {
  /** e.g. `cn=mailstack,ou=services,<base>` */
  readonly dn: string;
  /** The `cn` of the service entry, the RDN value of `dn`. */
  readonly cn: string;
  /** The `userPassword` value (an `{ARGON2}` hash). */
  readonly userPassword: string;
}

/**
 * The fixture directory (test/fixtures/directory.ts) as LDAP entries under `baseDN`: the base
 * and its three organizational units, the service account, the users with their password hashes
 * (`hashes`, from fixtureHashes()), the groups and the catch-all.
 */
export function fixtureEntries(
  baseDN: string,
  hashes: ReadonlyMap<string, string>,
  service: ServiceAccount,
): LdapEntry[] {
  const dc = /^dc=([^,]+)/i.exec(baseDN)?.[1];
  if (dc === undefined) throw new RangeError(`the base DN must start with dc=: ${baseDN}`);
  const unit = (ou: string): LdapEntry => ({
    dn: `ou=${ou},${baseDN}`,
    attributes: { objectClass: ["organizationalUnit"], ou: [ou] },
  });
  const users = fixtureUsers.map((user) => {
    const hash = hashes.get(user.address);
    if (hash === undefined) throw new RangeError(`no password hash for ${user.address}`);
    return userEntry(baseDN, {
      id: user.uid,
      address: user.address,
      displayName: user.displayName,
      aliases: user.aliases,
      catchAllDomains: user.address === fixtureCatchAll.target ? [fixtureCatchAll.domain] : [],
      userPassword: toLdapUserPassword(hash),
      quotaBytes: user.quotaBytes,
    });
  });
  const uidOf = (address: string): string => {
    const user = fixtureUsers.find((u) => u.address === address);
    if (!user) throw new RangeError(`group member ${address} is not a fixture user`);
    return user.uid;
  };
  const groups = fixtureGroups.map((group) =>
    groupEntry(baseDN, {
      cn: group.cn,
      address: group.address,
      displayName: group.displayName,
      memberDNs: group.members.map((address) => userDN(baseDN, uidOf(address))),
    }),
  );
  return [
    {
      dn: baseDN,
      attributes: { objectClass: ["dcObject", "organization"], dc: [dc], o: ["mailstack"] },
    },
    unit("people"),
    unit("groups"),
    unit("services"),
    {
      dn: service.dn,
      attributes: {
        objectClass: ["applicationProcess", "simpleSecurityObject"],
        cn: [service.cn],
        userPassword: [service.userPassword],
      },
    },
    ...users,
    ...groups,
  ];
}
