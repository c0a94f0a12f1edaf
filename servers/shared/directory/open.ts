/**
 * How a server finds its directory: the `directory` part of every server's runtime config, and
 * the one function that opens the backend it names.
 *
 * LDAP: the service account's password is given inline (`bindPassword`, the local runner) or as
 * a file (`bindPasswordFile`, a secret file in the containers, so the config itself holds no
 * secret). TLS: StartTLS on an `ldap://` URL whose host is not loopback, unless `startTls` says
 * otherwise; `caPath` is the CA to trust (the stack's own, for self-signed stacks) and
 * `servername` the name the directory's certificate carries when the URL's host differs.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { Logger } from "../log.ts";
import { openFileDirectory } from "./file-directory.ts";
import { openLdapDirectory } from "./ldap-directory.ts";
import type { Directory } from "./types.ts";

export const directoryRuntimeSchema = z
  .discriminatedUnion("backend", [
    z.strictObject({ backend: z.literal("file"), path: z.string().min(1) }),
    z.strictObject({
      backend: z.literal("ldap"),
      url: z
        .string()
        .regex(/^ldaps?:\/\//, { message: "expected ldap://host:port or ldaps://host:port" }),
      baseDN: z.string().min(1),
      bindDN: z.string().min(1),
      bindPassword: z.string().min(1).optional(),
      bindPasswordFile: z.string().min(1).optional(),
      startTls: z.boolean().optional(),
      caPath: z.string().min(1).optional(),
      servername: z.string().min(1).optional(),
      timeoutMs: z.number().int().positive().optional(),
    }),
  ])
  .superRefine((config, ctx) => {
    if (config.backend !== "ldap") return;
    if ((config.bindPassword === undefined) === (config.bindPasswordFile === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["bindPassword"],
        message: "give exactly one of bindPassword and bindPasswordFile",
      });
    }
  });

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
  const { bindPassword, bindPasswordFile, caPath, ...ldap } = config;
  return openLdapDirectory({
    ...ldap,
    bindPassword: bindPassword ?? secretFile(await readFile(bindPasswordFile ?? "", "utf8")),
    ...(caPath === undefined ? {} : { ca: await readFile(caPath, "utf8") }),
    domains,
  });
}

/** A secret file's text without the one line end an editor adds. */
function secretFile(text: string): string {
  return text.replace(/\r?\n$/, "");
}
