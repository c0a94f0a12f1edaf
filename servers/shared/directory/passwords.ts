/**
 * Password hashes in the standard crypt formats that both our file directory and OpenLDAP's
 * `userPassword` understand:
 *
 * - argon2id in PHC form (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), the default. The cost
 *   parameters are OWASP's recommendation for argon2id (19 MiB, 2 passes, 1 lane).
 * - bcrypt (`$2a$`, `$2b$`, `$2y$`), for directories migrated from older systems.
 *
 * OpenLDAP wants a scheme prefix: `{ARGON2}` (slapd's argon2 module) or `{CRYPT}` (libxcrypt,
 * which knows bcrypt). `toLdapUserPassword` adds it; `verifyPassword` accepts both forms.
 * Anything else (plain text, {SSHA}, MD5-crypt) is refused: it is not safe to keep.
 */
import { hash as argon2Hash, verify as argon2Verify } from "@node-rs/argon2";
import bcrypt from "bcryptjs";

export type HashAlgorithm = "argon2id" | "bcrypt";

/** bcrypt's cost factor: 2^12 rounds, about a quarter second on a current core. */
const BCRYPT_COST = 12;

const ARGON2ID = /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
const LDAP_PREFIX = /^\{(ARGON2|CRYPT)\}/i;

export async function hashPassword(
  password: string,
  algorithm: HashAlgorithm = "argon2id",
): Promise<string> {
  if (algorithm === "bcrypt") {
    if (Buffer.byteLength(password) > 72) {
      throw new RangeError("bcrypt uses only the first 72 bytes of a password; use argon2id");
    }
    return bcrypt.hash(password, BCRYPT_COST);
  }
  return argon2Hash(password);
}

/** The algorithm of a stored hash, or undefined when it is not one we accept. */
export function hashAlgorithm(stored: string): HashAlgorithm | undefined {
  const bare = stored.replace(LDAP_PREFIX, "");
  if (ARGON2ID.test(bare)) return "argon2id";
  if (BCRYPT.test(bare)) return "bcrypt";
  return undefined;
}

/** Explains what a hash must look like, for config errors. */
export const HASH_FORMAT_HINT =
  "an argon2id ($argon2id$...) or bcrypt ($2b$...) hash, optionally with an {ARGON2} or {CRYPT} prefix; make one with `mailstack hash-password`";

/** The `userPassword` value OpenLDAP verifies with the same algorithm. */
export function toLdapUserPassword(stored: string): string {
  const algorithm = hashAlgorithm(stored);
  if (algorithm === undefined) throw new RangeError(`not a supported hash: ${HASH_FORMAT_HINT}`);
  const bare = stored.replace(LDAP_PREFIX, "");
  return algorithm === "argon2id" ? `{ARGON2}${bare}` : `{CRYPT}${bare}`;
}

/** True when `password` matches `stored`. A malformed or unsupported hash never matches. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const bare = stored.replace(LDAP_PREFIX, "");
  try {
    switch (hashAlgorithm(bare)) {
      case "argon2id":
        return await argon2Verify(bare, password);
      case "bcrypt":
        return await bcrypt.compare(password, bare);
      case undefined:
        return false;
    }
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one real verification, for logins whose user does not exist, so a failed
 * login costs the same whether the user exists or not.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= argon2Hash("mailstack-timing-equaliser");
  await verifyPassword(await dummyHash, password);
  return false;
}
