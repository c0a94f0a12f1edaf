/**
 * What a directory backend provides. The backends answer exact questions; the rules that are the
 * same for every backend (plus-addressing, catch-all, throttling, equal timing of failures) live
 * once in directory.ts.
 */
import type { Group, User } from "./types.ts";

export type PasswordCheck =
  /** The user exists and the password is right. */
  | { readonly kind: "ok"; readonly user: User }
  /** The user exists and the password is wrong. */
  | { readonly kind: "wrong-password" }
  /** No user has this login. The caller spends the time a real check would have taken. */
  | { readonly kind: "no-such-user" };

/** A user or group that address autocompletion may suggest (directory.ts applies the exact rule). */
export interface AddressCandidate {
  readonly kind: "user" | "group";
  /** The primary address (a group's address). */
  readonly address: string;
  readonly displayName: string;
  /** The entry's other addresses: a prefix matching one of them suggests `address`. */
  readonly aliases: readonly string[];
}

export interface DirectoryBackend {
  /**
   * The user or group whose primary address, alias or group address is exactly `address`
   * (already normalized: lower-case, no plus tag). Throws DirectoryUnavailableError when down.
   */
  lookup(address: string): Promise<User | Group | undefined>;
  /** The user or group receiving mail for unknown addresses at `domain`, if there is a catch-all. */
  catchAll(domain: string): Promise<User | Group | undefined>;
  /** Checks a password for the user whose primary address or alias is `login` (normalized). */
  checkPassword(login: string, password: string): Promise<PasswordCheck>;
  /**
   * Replaces the password of the user whose primary address or alias is `login` with `newHash`
   * (argon2id, computed by the caller) when `currentPassword` is right; `ok` once it is stored.
   */
  changePassword(login: string, currentPassword: string, newHash: string): Promise<PasswordCheck>;
  /**
   * Users and groups that may match `prefix` (lower-case, at least one character) by address,
   * alias or display name: every entry that matches, and possibly others, at most `limit`.
   */
  addressCandidates(prefix: string, limit: number): Promise<readonly AddressCandidate[]>;
  close(): Promise<void>;
}

export function isUser(entry: User | Group): entry is User {
  return "id" in entry;
}
