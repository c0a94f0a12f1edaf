/**
 * The file directory backend: the embedded default's users in a JSON or YAML file
 * (format in file-data.ts), and the passwords users changed themselves beside it
 * (file-passwords.ts). Both are read at start and again whenever one changes; a change that does
 * not parse is reported and the last good directory stays in use.
 */
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../config.ts";
import type { AddressCandidate, DirectoryBackend, PasswordCheck } from "./backend.ts";
import { createDirectory, matchesPrefix, type DirectoryOptions } from "./directory.ts";
import { fileDirectorySchema, type FileDirectoryData } from "./file-data.ts";
import {
  passwordOverridePath,
  readPasswordOverrides,
  writePasswordOverride,
  type PasswordOverride,
} from "./file-passwords.ts";
import { verifyPassword } from "./passwords.ts";
import type { Directory, Group, User } from "./types.ts";

export interface FileDirectoryOptions extends DirectoryOptions {
  readonly path: string;
  /** Re-read the file when it changes. Default true. */
  readonly watch?: boolean;
  /** Told when a changed file is rejected; the previous directory stays in use. */
  readonly onReloadError?: (error: Error) => void;
}

interface Index {
  readonly byAddress: ReadonlyMap<string, User | Group>;
  readonly hashes: ReadonlyMap<string, string>;
  readonly catchAll: ReadonlyMap<string, User | Group>;
  /** Each user's hash in the directory file, which a password override must name to apply. */
  readonly fileHashes: ReadonlyMap<string, string>;
}

export async function readFileDirectory(path: string): Promise<FileDirectoryData> {
  const text = await readFile(path, "utf8");
  const raw: unknown = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  return parseConfig(fileDirectorySchema, raw ?? {}, { source: path });
}

export function indexDirectory(
  data: FileDirectoryData,
  overrides: ReadonlyMap<string, PasswordOverride> = new Map(),
): Index {
  const aliasesOf = new Map<string, string[]>();
  for (const alias of data.aliases) {
    aliasesOf.set(alias.to, [...(aliasesOf.get(alias.to) ?? []), alias.address]);
  }
  const byAddress = new Map<string, User | Group>();
  const hashes = new Map<string, string>();
  const fileHashes = new Map<string, string>();
  for (const u of data.users) {
    const user: User = Object.freeze({
      id: u.address,
      address: u.address,
      displayName: u.name,
      aliases: Object.freeze(aliasesOf.get(u.address) ?? []),
      quotaBytes: u.quotaBytes,
    });
    byAddress.set(u.address, user);
    fileHashes.set(u.address, u.passwordHash);
    const override = overrides.get(u.address);
    hashes.set(
      u.address,
      override?.replaces === u.passwordHash ? override.passwordHash : u.passwordHash,
    );
  }
  for (const g of data.groups) {
    byAddress.set(
      g.address,
      Object.freeze({
        address: g.address,
        displayName: g.name ?? g.address,
        members: Object.freeze([...g.members]),
      }),
    );
  }
  for (const alias of data.aliases) {
    const target = byAddress.get(alias.to);
    if (target) byAddress.set(alias.address, target);
  }
  const catchAll = new Map<string, User | Group>();
  for (const c of data.catchAll) {
    const target = byAddress.get(c.to);
    if (target) catchAll.set(c.domain, target);
  }
  return { byAddress, hashes, catchAll, fileHashes };
}

export async function createFileBackend(
  options: Pick<FileDirectoryOptions, "path" | "watch" | "onReloadError">,
): Promise<DirectoryBackend> {
  const overridesPath = passwordOverridePath(options.path);
  const load = async () =>
    indexDirectory(
      await readFileDirectory(options.path),
      await readPasswordOverrides(overridesPath),
    );
  let index = await load();
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** Password changes of this process, one at a time (each rewrites the overrides file). */
  let writing: Promise<unknown> = Promise.resolve();

  if (options.watch ?? true) {
    // Watch the folder, not the files: editors and the runner replace a file by rename.
    const names = new Set([basename(options.path), basename(overridesPath)]);
    watcher = watch(dirname(options.path), (_event, name) => {
      if (name !== null && !names.has(name)) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        load().then(
          (loaded) => (index = loaded),
          (error: unknown) => options.onReloadError?.(error as Error),
        );
      }, 100);
    });
  }

  const userFor = (login: string): { user: User; hash: string } | undefined => {
    const entry = index.byAddress.get(login);
    const hash = entry && "id" in entry ? index.hashes.get(entry.address) : undefined;
    return entry && "id" in entry && hash !== undefined ? { user: entry, hash } : undefined;
  };

  return {
    lookup: (address) => Promise.resolve(index.byAddress.get(address)),
    catchAll: (domain) => Promise.resolve(index.catchAll.get(domain)),
    async checkPassword(login, password): Promise<PasswordCheck> {
      const found = userFor(login);
      if (!found) return { kind: "no-such-user" };
      return (await verifyPassword(found.hash, password))
        ? { kind: "ok", user: found.user }
        : { kind: "wrong-password" };
    },
    changePassword(login, currentPassword, newHash): Promise<PasswordCheck> {
      const change = async (): Promise<PasswordCheck> => {
        const found = userFor(login);
        if (!found) return { kind: "no-such-user" };
        if (!(await verifyPassword(found.hash, currentPassword))) return { kind: "wrong-password" };
        const { address } = found.user;
        const replaces = index.fileHashes.get(address) ?? found.hash;
        await writePasswordOverride(overridesPath, address, {
          passwordHash: newHash,
          replaces,
          changedAt: new Date().toISOString(),
        });
        // This process sees it at once; the others when their watcher fires.
        index = await load();
        return { kind: "ok", user: found.user };
      };
      const result = writing.then(change, change);
      writing = result.catch(() => undefined);
      return result;
    },
    addressCandidates(prefix, limit) {
      const aliasesOf = new Map<User | Group, string[]>();
      for (const [address, entry] of index.byAddress) {
        if (entry.address !== address)
          aliasesOf.set(entry, [...(aliasesOf.get(entry) ?? []), address]);
      }
      const found: AddressCandidate[] = [];
      for (const [address, entry] of index.byAddress) {
        // Aliases are keys too; each entry is listed once, under its own address.
        if (entry.address !== address) continue;
        const candidate: AddressCandidate = {
          kind: "id" in entry ? "user" : "group",
          address,
          displayName: entry.displayName,
          aliases: aliasesOf.get(entry) ?? [],
        };
        if (matchesPrefix(candidate, prefix)) found.push(candidate);
        if (found.length >= limit) break;
      }
      return Promise.resolve(found);
    },
    close() {
      clearTimeout(timer);
      watcher?.close();
      return Promise.resolve();
    },
  };
}

export async function openFileDirectory(options: FileDirectoryOptions): Promise<Directory> {
  return createDirectory(await createFileBackend(options), options);
}
