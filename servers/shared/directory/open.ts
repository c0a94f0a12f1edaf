/**
 * How a server finds its directory: the `directory` part of every server's runtime config, and
 * the one function that opens the backend it names.
 */
import { z } from "zod";
import type { Logger } from "../log.ts";
import { openFileDirectory } from "./file-directory.ts";
import { openLdapDirectory } from "./ldap-directory.ts";
import type { Directory } from "./types.ts";

export const directoryRuntimeSchema = z.discriminatedUnion("backend", [
  z.strictObject({ backend: z.literal("file"), path: z.string().min(1) }),
  z.strictObject({
    backend: z.literal("ldap"),
    url: z
      .string()
      .regex(/^ldaps?:\/\//, { message: "expected ldap://host:port or ldaps://host:port" }),
    baseDN: z.string().min(1),
    bindDN: z.string().min(1),
    bindPassword: z.string().min(1),
    timeoutMs: z.number().int().positive().optional(),
  }),
]);

export type DirectoryRuntimeConfig = z.output<typeof directoryRuntimeSchema>;

export async function openDirectory(
  config: DirectoryRuntimeConfig,
  domains: readonly string[],
  log: Logger,
): Promise<Directory> {
  if (config.backend === "file") {
    return openFileDirectory({
      path: config.path,
      domains,
      onReloadError: (error) =>
        log.error({ err: error.message }, "directory file rejected; keeping the previous one"),
    });
  }
  return openLdapDirectory({ ...config, domains });
}
