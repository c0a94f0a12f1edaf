/**
 * Passwords that users changed themselves, for the file directory. They are kept beside the
 * directory file, in `<name>.passwords.json` (0600), never in the directory file itself: the local
 * runner rewrites that one from the stack config on every start, and a person may edit it.
 *
 * Each entry records the hash it replaces. While the directory file still gives the user that
 * hash, the entry's hash is the password; once the file gives another one (an administrator set a
 * new password in the config), the administrator's wins and the entry is ignored, as the LDAP
 * reconciler does (components/directory/ldap-sync-provider.ts).
 *
 * Every process that opens the file directory reads this file too and re-reads it when it changes
 * (file-directory.ts), so IMAP, POP3 and the MTA take a new password within a second.
 */
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { parseConfig } from "../config.ts";
import { writeFileAtomic } from "../fs/atomic-write.ts";
import { addressSchema, passwordHashSchema } from "./file-data.ts";

const overrideSchema = z.strictObject({
  /** The new hash (argon2id). */
  passwordHash: passwordHashSchema,
  /** The directory file's hash when the user changed it. */
  replaces: z.string().min(1),
  changedAt: z.iso.datetime(),
});
export type PasswordOverride = z.output<typeof overrideSchema>;

const overridesSchema = z.strictObject({
  users: z.record(addressSchema, overrideSchema).default({}),
});

/** `directory.json` → `directory.passwords.json`, in the same folder. */
export function passwordOverridePath(directoryPath: string): string {
  const stem = basename(directoryPath).replace(/\.(json|ya?ml)$/i, "");
  return join(dirname(directoryPath), `${stem}.passwords.json`);
}

/** The overrides by address; empty when the file does not exist. Throws ConfigError when it is bad. */
export async function readPasswordOverrides(
  path: string,
): Promise<ReadonlyMap<string, PasswordOverride>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw error;
  }
  const data = parseConfig(overridesSchema, JSON.parse(text) as unknown, { source: path });
  return new Map(Object.entries(data.users));
}

/** Writes one user's new hash, keeping the others (read, change, replace atomically). */
export async function writePasswordOverride(
  path: string,
  address: string,
  override: PasswordOverride,
): Promise<void> {
  const users = Object.fromEntries(await readPasswordOverrides(path));
  users[address] = override;
  await writeFileAtomic(path, `${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });
}
