/**
 * Turns the stack config's users, aliases, groups and catch-alls into the file directory that the
 * servers read (`<dataDir>/directory.json`). Users the config gives no password hash get a
 * generated password on first start: it is shown once, and only its hash is kept
 * (`<dataDir>/generated-passwords.json`), so a restart keeps the same password. A password given
 * in clear keeps the hash of the previous start while it still matches, so the directory file
 * changes only when the config does: a password the user changed since (kept beside the file,
 * servers/shared/directory/file-passwords.ts) stays theirs until then.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FileDirectoryData } from "../../servers/shared/directory/file-data.ts";
import { hashPassword, verifyPassword } from "../../servers/shared/directory/passwords.ts";
import { writeFileAtomic } from "../../servers/shared/fs/atomic-write.ts";
import type { StackConfig } from "../../stacks/schema.ts";

export const DIRECTORY_FILE = "directory.json";
export const GENERATED_PASSWORDS_FILE = "generated-passwords.json";

export interface GeneratedPassword {
  readonly address: string;
  /** The password in clear, only on the start that made it; undefined afterwards. */
  readonly password: string | undefined;
}

export interface DirectoryFileResult {
  readonly path: string;
  readonly generated: readonly GeneratedPassword[];
}

/** 18 random bytes: 24 characters of base64url, 144 bits, typeable. */
function newPassword(): string {
  return randomBytes(18).toString("base64url");
}

export async function writeDirectoryFile(
  config: StackConfig,
  dataDir: string,
): Promise<DirectoryFileResult> {
  const keptPath = join(dataDir, GENERATED_PASSWORDS_FILE);
  const kept = await readKept(keptPath);
  const path = join(dataDir, DIRECTORY_FILE);
  const previous = await previousHashes(path);
  const generated: GeneratedPassword[] = [];
  const users: FileDirectoryData["users"] = [];
  let changed = false;

  for (const user of config.users) {
    let hash = user.passwordHash;
    if (hash === undefined && user.password !== undefined) {
      const before = previous.get(user.address);
      hash =
        before !== undefined && (await verifyPassword(before, user.password))
          ? before
          : await hashPassword(user.password);
    }
    if (hash === undefined) {
      hash = kept[user.address];
      let password: string | undefined;
      if (hash === undefined) {
        password = newPassword();
        hash = await hashPassword(password);
        kept[user.address] = hash;
        changed = true;
      }
      generated.push({ address: user.address, password });
    }
    users.push({
      address: user.address,
      name: user.name,
      passwordHash: hash,
      ...(user.quota === undefined ? {} : { quotaBytes: user.quota }),
    });
  }
  if (changed) {
    await writeFileAtomic(keptPath, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });
  }

  const data: FileDirectoryData = {
    users,
    aliases: config.aliases.map((a) => ({ address: a.address, to: a.to })),
    groups: config.groups.map((g) => ({
      address: g.address,
      members: [...g.members],
      ...(g.name === undefined ? {} : { name: g.name }),
    })),
    catchAll: config.domains.flatMap((d) =>
      d.catchAll === undefined ? [] : [{ domain: d.name, to: d.catchAll }],
    ),
  };
  await writeFileAtomic(path, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  return { path, generated };
}

/** Each user's hash in the directory file of the previous start; empty when there is none. */
async function previousHashes(path: string): Promise<Map<string, string>> {
  try {
    const data = JSON.parse(await readFile(path, "utf8")) as Partial<FileDirectoryData>;
    return new Map((data.users ?? []).map((u) => [u.address, u.passwordHash]));
  } catch {
    return new Map();
  }
}

async function readKept(path: string): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
}
