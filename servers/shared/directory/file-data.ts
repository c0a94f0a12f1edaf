/**
 * The file directory's format (JSON or YAML): the embedded default's users, aliases, groups and
 * catch-alls. The local runner writes it from the stack config; a person may also edit it.
 *
 *   users:    [{ address, name, passwordHash, quotaBytes? }]
 *   aliases:  [{ address, to }]          `to` is a user or group address here
 *   groups:   [{ address, name?, members: [address, ...] }]
 *   catchAll: [{ domain, to }]           unknown addresses at `domain` go to `to`
 */
import { z } from "zod";
import { normalizeAddress } from "./address.ts";
import { HASH_FORMAT_HINT, hashAlgorithm } from "./passwords.ts";

export const addressSchema = z
  .string()
  .refine((s) => normalizeAddress(s) === s.trim().toLowerCase() && !s.includes(" "), {
    message: "expected an email address like user@example.com",
    abort: true,
  })
  .transform((s) => normalizeAddress(s) ?? s);

const domainSchema = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\.?$/i, {
    message: "expected a domain name like example.com",
  })
  .transform((s) => s.toLowerCase().replace(/\.$/, ""));

export const passwordHashSchema = z
  .string()
  .refine((s) => hashAlgorithm(s) !== undefined, { message: `expected ${HASH_FORMAT_HINT}` });

export const aliasEntrySchema = z.strictObject({ address: addressSchema, to: addressSchema });

export const groupEntrySchema = z.strictObject({
  address: addressSchema,
  name: z.string().min(1).max(256).optional(),
  members: z.array(addressSchema).min(1),
});

export const fileDirectorySchema = z
  .strictObject({
    users: z
      .array(
        z.strictObject({
          address: addressSchema,
          name: z.string().min(1).max(256),
          passwordHash: passwordHashSchema,
          quotaBytes: z.number().int().positive().optional(),
        }),
      )
      .default([]),
    aliases: z.array(aliasEntrySchema).default([]),
    groups: z.array(groupEntrySchema).default([]),
    catchAll: z.array(z.strictObject({ domain: domainSchema, to: addressSchema })).default([]),
  })
  .superRefine((data, ctx) =>
    checkDirectoryEntries(
      { ...data, catchAll: data.catchAll.map((c, i) => ({ ...c, path: ["catchAll", i, "to"] })) },
      (path, message) => ctx.addIssue({ code: "custom", path, message }),
    ),
  );

type Path = (string | number)[];

/**
 * The checks across entries, shared with the stack config schema: every address is used once,
 * and aliases and catch-alls point at a user or group that exists.
 */
export function checkDirectoryEntries(
  entries: {
    readonly users: readonly { readonly address: string }[];
    readonly aliases: readonly { readonly address: string; readonly to: string }[];
    readonly groups: readonly { readonly address: string }[];
    readonly catchAll: readonly { readonly to: string; readonly path: Path }[];
  },
  issue: (path: Path, message: string) => void,
): void {
  const seen = new Map<string, string>();
  const claim = (address: string, path: Path) => {
    const first = seen.get(address);
    if (first) issue(path, `${address} is already used at ${first}`);
    else seen.set(address, path.join("."));
  };
  entries.users.forEach((u, i) => claim(u.address, ["users", i, "address"]));
  entries.groups.forEach((g, i) => claim(g.address, ["groups", i, "address"]));
  entries.aliases.forEach((a, i) => claim(a.address, ["aliases", i, "address"]));
  const targets = new Set([...entries.users, ...entries.groups].map((e) => e.address));
  const pointsAtTarget = (to: string, path: Path) => {
    if (!targets.has(to)) issue(path, `${to} is not a user or group in this directory`);
  };
  entries.aliases.forEach((a, i) => pointsAtTarget(a.to, ["aliases", i, "to"]));
  entries.catchAll.forEach((c) => pointsAtTarget(c.to, c.path));
}

export type FileDirectoryData = z.output<typeof fileDirectorySchema>;
