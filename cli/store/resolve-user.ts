/**
 * Which store account `--user` names. The store keys mail by the directory's user id (what the
 * MDA, IMAP and POP3 pass to `openAccount`): the primary address with the file directory, the
 * LDAP `uid` with LDAP. So the address is looked up in the directory the servers use (an alias
 * finds its user too):
 *
 *   --config FILE (or the embedded default), LDAP backend   that LDAP server
 *   otherwise, when the runner has written it               <dataDir>/directory.json
 *   otherwise, --config with the file backend               the users and aliases of the config
 *
 * When the directory does not know the name, it may still be the id of stored mail (a user who
 * has left, or an LDAP uid given as is): that account is used.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { DirectoryBackend } from "../../servers/shared/directory/backend.ts";
import { createDirectory } from "../../servers/shared/directory/directory.ts";
import type { FileDirectoryData } from "../../servers/shared/directory/file-data.ts";
import {
  indexDirectory,
  openFileDirectory,
} from "../../servers/shared/directory/file-directory.ts";
import { normalizeAddress } from "../../servers/shared/directory/address.ts";
import { openLdapDirectory } from "../../servers/shared/directory/ldap-directory.ts";
import { DirectoryUnavailableError, type Directory } from "../../servers/shared/directory/types.ts";
import { DIRECTORY_FILE } from "../runner/directory-file.ts";
import { CommandError, EXIT, type Location } from "./store-options.ts";

export interface ResolvedUser {
  /** The store's account id. */
  readonly id: string;
}

/** A directory over the config's own users and aliases (file backend, runner not started yet). */
function configDirectory(location: Location, domains: readonly string[]): Directory {
  const config = location.config?.config;
  const data: FileDirectoryData = {
    // The hash is never read here: this directory only looks users up.
    users: (config?.users ?? []).map((u) => ({
      address: u.address,
      name: u.name,
      passwordHash: "",
    })),
    aliases: (config?.aliases ?? []).map((a) => ({ address: a.address, to: a.to })),
    groups: [],
    catchAll: [],
  };
  const index = indexDirectory(data);
  const backend: DirectoryBackend = {
    lookup: (address) => Promise.resolve(index.byAddress.get(address)),
    catchAll: () => Promise.resolve(undefined),
    checkPassword: () => Promise.resolve({ kind: "no-such-user" }),
    changePassword: () => Promise.resolve({ kind: "no-such-user" }),
    addressCandidates: () => Promise.resolve([]),
    close: () => Promise.resolve(),
  };
  return createDirectory(backend, { domains });
}

/** The directory, and what to say when it does not know a name. */
async function openUserDirectory(
  location: Location,
): Promise<{ directory: Directory | undefined; miss: string }> {
  const config = location.config?.config;
  const domains = config?.domains.map((d) => d.name) ?? [];
  if (config?.directory.backend === "ldap") {
    const { url, baseDN, bindDN, bindPassword } = config.directory;
    const directory = openLdapDirectory({ url, baseDN, bindDN, bindPassword, domains });
    return { directory, miss: `not in the LDAP directory at ${url}` };
  }
  const file = join(location.dataDir, DIRECTORY_FILE);
  if ((await stat(file).catch(() => undefined))?.isFile()) {
    const directory = await openFileDirectory({ path: file, domains, watch: false });
    return { directory, miss: `not in ${file}` };
  }
  if (config !== undefined) {
    const miss = `not among the users of ${location.config?.source}`;
    return { directory: configDirectory(location, domains), miss };
  }
  return {
    directory: undefined,
    miss: `no directory to look it up in (${file} is missing; with LDAP, give --config FILE)`,
  };
}

/**
 * The account `name` designates, if the directory or the store knows it, and what the
 * directory said otherwise (for the message). `stored` lists the ids that have mail
 * (MailStore.listAccounts).
 */
export async function resolveUser(
  name: string,
  location: Location,
  stored: readonly string[],
): Promise<{ user: ResolvedUser | undefined; miss: string }> {
  const { directory, miss } = await openUserDirectory(location);
  try {
    const user = await directory?.findUser(name);
    if (user !== undefined) return { user: { id: user.id }, miss };
  } catch (error) {
    if (!(error instanceof DirectoryUnavailableError)) throw error;
    throw new CommandError(
      EXIT.unavailable,
      `${name}: the directory does not answer: ${error.message}`,
    );
  } finally {
    await directory?.close();
  }
  const normalized = normalizeAddress(name);
  const id = stored.find((s) => s === name) ?? stored.find((s) => s === normalized);
  return { user: id === undefined ? undefined : { id }, miss };
}
