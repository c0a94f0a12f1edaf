/**
 * The LDAP directory backend (OpenLDAP in production and in the tests; ldapts as the client).
 * The data model, attributes and filters are in ldap-entries.ts.
 *
 * - Searches run on a small pool of connections bound as a service account, which may read
 *   users and groups but not `userPassword`. LDAP answers several requests on one connection,
 *   so calls take the pool's connections in turn rather than waiting for a free one.
 * - A password is checked by binding as the user's DN on a fresh connection that is closed
 *   right after; a pooled service connection never changes identity.
 * - Every call answers within `timeoutMs` or throws DirectoryUnavailableError. A connection-level
 *   failure (refused, dropped, timed out) discards the whole pool, so the next call reconnects:
 *   when slapd comes back, the directory works again without a restart.
 * - TLS: `ldaps://` URLs connect with TLS; `ldap://` ones are upgraded with StartTLS (RFC 4513
 *   §3) before any bind when the host is not loopback (or when `startTls` says so), and the
 *   certificate is verified against `ca` (default: the system's CAs) for `servername`. A server
 *   that refuses StartTLS is an unavailable directory, never a reason to send passwords in clear.
 */
import type { ConnectionOptions } from "node:tls";
import { Attribute, Change, Client, type Entry, type Filter, ResultCodeError } from "ldapts";
import type { AddressCandidate, DirectoryBackend, PasswordCheck } from "./backend.ts";
import { createDirectory, matchesPrefix, type DirectoryOptions } from "./directory.ts";
import {
  ALIAS_SCAN_LIMIT,
  CANDIDATE_ATTRIBUTES,
  nameContainsFilter,
  startsWithFilter,
  toCandidate,
  withAliasesFilter,
} from "./ldap-address-search.ts";
import {
  addressFilter,
  catchAllFilter,
  ENTRY_ATTRIBUTES,
  groupAddress,
  isGroupEntry,
  isUserEntry,
  loginFilter,
  MEMBER_ATTRIBUTES,
  memberAddress,
  toGroup,
  toUser,
  values,
} from "./ldap-entries.ts";
import { toLdapUserPassword } from "./passwords.ts";
import { DirectoryUnavailableError, type Directory, type Group, type User } from "./types.ts";

export interface LdapBackendOptions {
  /** The server, `ldap://host:port` or `ldaps://host:port`. */
  readonly url: string;
  /** The subtree holding users and groups, e.g. `dc=example,dc=com`. */
  readonly baseDN: string;
  /** The service account that searches, e.g. `cn=mailstack,ou=services,dc=example,dc=com`. */
  readonly bindDN: string;
  readonly bindPassword: string;
  /**
   * The longest one directory call waits for the server, in milliseconds: connecting, binding
   * and searching together. Default 5000.
   */
  readonly timeoutMs?: number;
  /** How many service connections to keep open. Default 4. */
  readonly poolSize?: number;
  /** Upgrade `ldap://` connections with StartTLS. Default: when the host is not loopback. */
  readonly startTls?: boolean;
  /** The CA certificate(s) to verify the directory with, PEM. Default: the system's CAs. */
  readonly ca?: string;
  /** The name the directory's certificate must carry. Default: the URL's host. */
  readonly servername?: string;
}

/** True for `ldap://` URLs on 127.0.0.0/8, ::1 or localhost, where TLS protects nothing. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** How many member entries of a group are fetched at once. */
const MEMBER_BATCH = 32;
/** More matches than this for one address is a broken directory; we look at the first few. */
const SIZE_LIMIT = 10;

/** LDAP result codes (RFC 4511 §4.1.9) that we tell apart. */
const NO_SUCH_OBJECT = 32;
const INVALID_DN_SYNTAX = 34;
const INVALID_CREDENTIALS = 49;

interface Slot {
  readonly client: Client;
  readonly ready: Promise<Client>;
  bound: boolean;
}

export function createLdapBackend(options: LdapBackendOptions): DirectoryBackend {
  const timeoutMs = options.timeoutMs ?? 5000;
  const poolSize = Math.max(1, options.poolSize ?? 4);
  const slots: (Slot | undefined)[] = Array.from({ length: poolSize }, () => undefined);
  let cursor = 0;
  let closed = false;

  const tlsOptions: ConnectionOptions = {
    minVersion: "TLSv1.2",
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.servername === undefined ? {} : { servername: options.servername }),
  };
  const ldaps = options.url.toLowerCase().startsWith("ldaps://");
  const startTls = !ldaps && (options.startTls ?? !isLoopbackUrl(options.url));

  // ldapts connects with TLS whenever it is given tlsOptions: only for ldaps://.
  const newClient = (): Client =>
    new Client({
      url: options.url,
      timeout: timeoutMs,
      connectTimeout: timeoutMs,
      ...(ldaps ? { tlsOptions } : {}),
    });

  /** Binds `client`, after StartTLS when the connection must be encrypted. */
  async function bind(client: Client, dn: string, password: string): Promise<void> {
    if (startTls) await client.startTLS(tlsOptions);
    await client.bind(dn, password);
  }

  function discard(client: Client): void {
    client.unbind().catch(() => {
      // The connection is being thrown away; how it ends does not matter.
    });
  }

  function resetPool(): void {
    for (const [index, slot] of slots.entries()) {
      if (slot) discard(slot.client);
      slots[index] = undefined;
    }
  }

  /** A bound service connection, opening one when its slot is empty or its socket closed. */
  function serviceClient(): Promise<Client> {
    // A group's member searches may still be starting when close() runs: open nothing new.
    if (closed) return Promise.reject(new Error("the directory is closed"));
    const index = cursor;
    cursor = (cursor + 1) % poolSize;
    const current = slots[index];
    if (current && (!current.bound || current.client.isConnected)) return current.ready;
    if (current) discard(current.client);

    const client = newClient();
    // `slot` is declared below; these callbacks run only once the bind has settled.
    const ready = bind(client, options.bindDN, options.bindPassword).then(
      () => {
        slot.bound = true;
        return client;
      },
      (error: unknown) => {
        if (slots[index] === slot) slots[index] = undefined;
        discard(client);
        throw error;
      },
    );
    const slot: Slot = { client, ready, bound: false };
    slots[index] = slot;
    return ready;
  }

  /**
   * Runs `work` within the deadline. Whatever escapes it means the directory cannot answer:
   * it becomes DirectoryUnavailableError (with the cause kept for the log).
   */
  async function call<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (closed) throw new DirectoryUnavailableError(`LDAP ${what}: the directory is closed`);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const running = work();
    try {
      return await Promise.race([running, deadline]);
    } catch (error) {
      // If the deadline won, `running` may still reject later: Promise.race has subscribed to
      // it, so that rejection is handled and goes nowhere.
      // A result code means the server answered; anything else means the connection is suspect.
      if (!(error instanceof ResultCodeError)) resetPool();
      const reason = error instanceof Error ? error.message : String(error);
      throw new DirectoryUnavailableError(`LDAP ${what} at ${options.url} failed: ${reason}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The one user a login names; two users claiming one login is a broken directory: neither. */
  async function loginEntry(login: string): Promise<{ entry: Entry; user: User } | undefined> {
    const entries = await search(options.baseDN, loginFilter(login), ENTRY_ATTRIBUTES);
    const entry = entries.length === 1 ? entries[0] : undefined;
    const user = entry && toUser(entry);
    return entry && user ? { entry, user } : undefined;
  }

  async function search(base: string, filter: Filter, attributes: string[]): Promise<Entry[]> {
    const client = await serviceClient();
    const { searchEntries } = await client.search(base, {
      scope: "sub",
      filter,
      attributes,
      sizeLimit: SIZE_LIMIT,
    });
    return searchEntries;
  }

  /** One member entry, or undefined when the DN names nothing. */
  async function member(dn: string): Promise<Entry | undefined> {
    try {
      const client = await serviceClient();
      const { searchEntries } = await client.search(dn, {
        scope: "base",
        attributes: MEMBER_ATTRIBUTES,
      });
      return searchEntries[0];
    } catch (error) {
      if (isResultCode(error, NO_SUCH_OBJECT) || isResultCode(error, INVALID_DN_SYNTAX)) {
        return undefined;
      }
      throw error;
    }
  }

  async function toEntity(entry: Entry, matched?: string): Promise<User | Group | undefined> {
    if (isUserEntry(entry)) return toUser(entry);
    if (!isGroupEntry(entry)) return undefined;
    const address = groupAddress(entry, matched);
    if (address === undefined) return undefined;
    // Empty groups often name themselves or "" as their one required member.
    const self = entry.dn.toLowerCase();
    const dns = values(entry, "member").filter((dn) => dn.length > 0 && dn.toLowerCase() !== self);
    const members: string[] = [];
    for (let i = 0; i < dns.length; i += MEMBER_BATCH) {
      const batch = await Promise.all(dns.slice(i, i + MEMBER_BATCH).map(member));
      for (const found of batch) {
        const memberMail = found && memberAddress(found);
        if (memberMail !== undefined) members.push(memberMail);
      }
    }
    return toGroup(entry, address, members);
  }

  return {
    lookup: (address) =>
      call("lookup", async () => {
        const entries = await search(options.baseDN, addressFilter(address), ENTRY_ATTRIBUTES);
        const entry = pick(entries, address);
        return entry && toEntity(entry, address);
      }),

    catchAll: (domain) =>
      call("catch-all lookup", async () => {
        const entries = await search(options.baseDN, catchAllFilter(domain), ENTRY_ATTRIBUTES);
        const entry = pick(entries, undefined);
        return entry && toEntity(entry);
      }),

    checkPassword: (login, password) =>
      call("login", async (): Promise<PasswordCheck> => {
        const found = await loginEntry(login);
        if (!found) return { kind: "no-such-user" };
        const { entry, user } = found;
        // An empty password would make an unauthenticated bind, which succeeds (RFC 4513 §5.1.2).
        if (password.length === 0) return { kind: "wrong-password" };
        return (await bindsAs(entry.dn, password))
          ? { kind: "ok", user }
          : { kind: "wrong-password" };
      }),

    changePassword: (login, currentPassword, newHash) =>
      call("password change", async (): Promise<PasswordCheck> => {
        const found = await loginEntry(login);
        if (!found) return { kind: "no-such-user" };
        const { entry, user } = found;
        if (currentPassword.length === 0) return { kind: "wrong-password" };
        const stored = toLdapUserPassword(newHash);
        return (await replacePasswordAs(entry.dn, currentPassword, stored))
          ? { kind: "ok", user }
          : { kind: "wrong-password" };
      }),

    addressCandidates: (prefix, limit) =>
      call("address search", async () => {
        const client = await serviceClient();
        const found = new Map<string, AddressCandidate>();
        const searches: [Filter, number][] = [
          [startsWithFilter(prefix), limit],
          [nameContainsFilter(prefix), limit],
          [withAliasesFilter(), ALIAS_SCAN_LIMIT],
        ];
        for (const [filter, sizeLimit] of searches) {
          if (found.size >= limit) break;
          const { searchEntries } = await client.search(options.baseDN, {
            scope: "sub",
            filter,
            attributes: CANDIDATE_ATTRIBUTES,
            sizeLimit,
          });
          for (const candidate of searchEntries.map(toCandidate)) {
            if (candidate && matchesPrefix(candidate, prefix)) {
              found.set(candidate.address, candidate);
            }
          }
        }
        return [...found.values()].slice(0, limit);
      }),

    close: async () => {
      closed = true;
      const clients = slots.flatMap((slot) => (slot ? [slot.client] : []));
      slots.fill(undefined);
      await Promise.all(clients.map((client) => client.unbind().catch(() => undefined)));
    },
  };

  /**
   * Binds as `dn` with `password` and replaces that entry's own `userPassword` with `stored`
   * (the ACL lets a user write, not read, it); false when the password is wrong. Our hash, not
   * the Password Modify operation (RFC 3062): with it slapd hashes with its own `password-hash`
   * setting, which Debian's argon2 module makes argon2i at 4 MiB, below what passwords.ts keeps.
   */
  async function replacePasswordAs(dn: string, password: string, stored: string): Promise<boolean> {
    const client = newClient();
    try {
      await bind(client, dn, password);
      await client.modify(
        dn,
        new Change({
          operation: "replace",
          modification: new Attribute({ type: "userPassword", values: [stored] }),
        }),
      );
      return true;
    } catch (error) {
      if (isResultCode(error, INVALID_CREDENTIALS)) return false;
      throw error;
    } finally {
      discard(client);
    }
  }

  /** True when `dn` binds with `password`; the connection is closed either way. */
  async function bindsAs(dn: string, password: string): Promise<boolean> {
    const client = newClient();
    try {
      await bind(client, dn, password);
      return true;
    } catch (error) {
      if (isResultCode(error, INVALID_CREDENTIALS)) return false;
      throw error;
    } finally {
      discard(client);
    }
  }
}

/** The entry for `address` among several matches: its owner by primary address, else the first. */
function pick(entries: readonly Entry[], address: string | undefined): Entry | undefined {
  const known = entries.filter((e) => isUserEntry(e) || isGroupEntry(e));
  const primary =
    address === undefined
      ? undefined
      : known.find((e) => values(e, "mail").some((m) => m.toLowerCase() === address));
  return primary ?? [...known].sort((a, b) => (a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0))[0];
}

function isResultCode(error: unknown, code: number): boolean {
  return error instanceof ResultCodeError && error.code === code;
}

/** A Directory over LDAP: the backend above with the rules every backend shares. */
export function openLdapDirectory(options: LdapBackendOptions & DirectoryOptions): Directory {
  return createDirectory(createLdapBackend(options), options);
}
