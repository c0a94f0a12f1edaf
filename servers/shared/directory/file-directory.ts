/**
 * The file directory backend: the embedded default's users in a JSON or YAML file
 * (format in file-data.ts). The file is read at start and again whenever it changes; a change
 * that does not parse is reported and the last good directory stays in use.
 */
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../config.ts";
import type { DirectoryBackend, PasswordCheck } from "./backend.ts";
import { createDirectory, type DirectoryOptions } from "./directory.ts";
import { fileDirectorySchema, type FileDirectoryData } from "./file-data.ts";
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
}

export async function readFileDirectory(path: string): Promise<FileDirectoryData> {
  const text = await readFile(path, "utf8");
  const raw: unknown = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  return parseConfig(fileDirectorySchema, raw ?? {}, { source: path });
}

export function indexDirectory(data: FileDirectoryData): Index {
  const aliasesOf = new Map<string, string[]>();
  for (const alias of data.aliases) {
    aliasesOf.set(alias.to, [...(aliasesOf.get(alias.to) ?? []), alias.address]);
  }
  const byAddress = new Map<string, User | Group>();
  const hashes = new Map<string, string>();
  for (const u of data.users) {
    const user: User = Object.freeze({
      id: u.address,
      address: u.address,
      displayName: u.name,
      aliases: Object.freeze(aliasesOf.get(u.address) ?? []),
      quotaBytes: u.quotaBytes,
    });
    byAddress.set(u.address, user);
    hashes.set(u.address, u.passwordHash);
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
  return { byAddress, hashes, catchAll };
}

export async function createFileBackend(
  options: Pick<FileDirectoryOptions, "path" | "watch" | "onReloadError">,
): Promise<DirectoryBackend> {
  let index = indexDirectory(await readFileDirectory(options.path));
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;

  if (options.watch ?? true) {
    // Watch the folder, not the file: editors and the runner replace the file by rename.
    watcher = watch(dirname(options.path), (_event, name) => {
      if (name !== null && name !== basename(options.path)) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        readFileDirectory(options.path).then(
          (data) => (index = indexDirectory(data)),
          (error: unknown) => options.onReloadError?.(error as Error),
        );
      }, 100);
    });
  }

  return {
    lookup: (address) => Promise.resolve(index.byAddress.get(address)),
    catchAll: (domain) => Promise.resolve(index.catchAll.get(domain)),
    async checkPassword(login, password): Promise<PasswordCheck> {
      const entry = index.byAddress.get(login);
      const hash = entry && "id" in entry ? index.hashes.get(entry.address) : undefined;
      if (!entry || !("id" in entry) || hash === undefined) return { kind: "no-such-user" };
      return (await verifyPassword(hash, password))
        ? { kind: "ok", user: entry }
        : { kind: "wrong-password" };
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
