/**
 * The directory: who the users are, which addresses reach them, and who may log in.
 *
 * One interface, two real backends: LDAP (ldap-directory.ts, a real OpenLDAP in production and in
 * the tests) and a file (file-directory.ts, the embedded default). Both pass the same behaviour
 * suite (directory-suite.ts). Servers hold a `Directory` and never know which backend it is.
 */

/** A mailbox owner. `address` is the primary address; it is also the login name. */
export interface User {
  /** Stable identifier: the LDAP `uid`, or the primary address for the file backend. */
  readonly id: string;
  readonly address: string;
  readonly displayName: string;
  /** Other addresses delivered to this user (never catch-alls, never plus-addressed forms). */
  readonly aliases: readonly string[];
  /** Mailbox quota in bytes; undefined means no quota. */
  readonly quotaBytes?: number | undefined;
}

/** A distribution list: mail to `address` goes to every member address. */
export interface Group {
  readonly address: string;
  readonly displayName: string;
  /** Member addresses: local users' primary addresses or remote addresses. */
  readonly members: readonly string[];
}

/**
 * What an address resolves to.
 * - `user`: deliver to this user. `detail` is the plus-address tag (`alice+news@` gives `news`),
 *   `via` says how it matched, so a server can log it and the MDA can file by tag later.
 * - `group`: expand to the members.
 * - `unknown`: nothing here takes this address; `localDomain` tells a 550 5.1.1 (our domain,
 *   no such user) apart from a relay attempt (not our domain).
 */
export type Resolution =
  | {
      readonly kind: "user";
      readonly user: User;
      readonly detail?: string | undefined;
      readonly via: "primary" | "alias" | "catch-all";
    }
  | { readonly kind: "group"; readonly group: Group; readonly detail?: string | undefined }
  | { readonly kind: "unknown"; readonly localDomain: boolean };

/** Facts about the client that the directory uses to throttle repeated failures. */
export interface AuthContext {
  /** The client's IP address as the server saw it. */
  readonly remoteAddress: string;
}

export type AuthResult =
  | { readonly ok: true; readonly user: User }
  /**
   * `invalid`: wrong login or password; the reply never says which.
   * `throttled`: too many recent failures for this login or this client; try again later.
   * `unavailable`: the directory could not be reached; a temporary failure.
   */
  | { readonly ok: false; readonly reason: "invalid" | "throttled" | "unavailable" };

/** One suggestion of address autocompletion: a user's primary address or a group's. */
export interface AddressSuggestion {
  readonly kind: "user" | "group";
  readonly address: string;
  readonly displayName: string;
}

export type PasswordChangeResult =
  | { readonly ok: true }
  /**
   * `invalid`: wrong login or current password (counted as a failed login).
   * `weak`: the new password is shorter than the minimum or longer than the maximum; nothing changed.
   * `throttled`, `unavailable`: as for `authenticate`.
   */
  | { readonly ok: false; readonly reason: "invalid" | "weak" | "throttled" | "unavailable" };

export interface Directory {
  /** Checks a login (a user's primary address or an alias) and password. Never throws for bad input. */
  authenticate(login: string, password: string, context: AuthContext): Promise<AuthResult>;
  /** Resolves a recipient address. Throws DirectoryUnavailableError when the backend is down. */
  resolve(address: string): Promise<Resolution>;
  /** Finds a user by primary address or alias, without plus-addressing or catch-all. */
  findUser(address: string): Promise<User | undefined>;
  /**
   * Changes a user's own password: `currentPassword` must be right, and `newPassword` at least
   * MIN_PASSWORD_LENGTH characters. Failures are throttled and timed like failed logins.
   */
  changePassword(
    login: string,
    currentPassword: string,
    newPassword: string,
    context: AuthContext,
  ): Promise<PasswordChangeResult>;
  /**
   * Users and groups whose address, or whose display name or one of its words, starts with
   * `prefix` (case-insensitive), at most `limit`, sorted by display name. A user is suggested at
   * the primary address, also when an alias matched. Throws DirectoryUnavailableError when down.
   */
  searchAddresses(prefix: string, limit: number): Promise<readonly AddressSuggestion[]>;
  /** The domains this directory receives mail for. */
  domains(): Promise<readonly string[]>;
  close(): Promise<void>;
}

/** The backend cannot answer now (LDAP down, timeout). Servers answer with a temporary failure. */
export class DirectoryUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DirectoryUnavailableError";
  }
}
