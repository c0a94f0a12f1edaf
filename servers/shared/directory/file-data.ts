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
    aliases: z.array(z.strictObject({ address: addressSchema, to: addressSchema })).default([]),
    groups: z
      .array(
        z.strictObject({
          address: addressSchema,
          name: z.string().min(1).max(256).optional(),
          members: z.array(addressSchema).min(1),
        }),
      )
      .default([]),
    catchAll: z.array(z.strictObject({ domain: domainSchema, to: addressSchema })).default([]),
  })
  .superRefine((data, ctx) => {
    const seen = new Map<string, string>();
    const claim = (address: string, path: (string | number)[]) => {
      const first = seen.get(address);
      if (first) ctx.addIssue({ code: "custom", path, message: `${address} is already ${first}` });
      else seen.set(address, `used at ${path.join(".")}`);
    };
    data.users.forEach((u, i) => claim(u.address, ["users", i, "address"]));
    data.groups.forEach((g, i) => claim(g.address, ["groups", i, "address"]));
    data.aliases.forEach((a, i) => claim(a.address, ["aliases", i, "address"]));
    const targets = new Set([...data.users, ...data.groups].map((e) => e.address));
    data.aliases.forEach((a, i) => {
      if (!targets.has(a.to)) {
        ctx.addIssue({
          code: "custom",
          path: ["aliases", i, "to"],
          message: `${a.to} is not a user or group in this directory`,
        });
      }
    });
    data.catchAll.forEach((c, i) => {
      if (!targets.has(c.to)) {
        ctx.addIssue({
          code: "custom",
          path: ["catchAll", i, "to"],
          message: `${c.to} is not a user or group in this directory`,
        });
      }
    });
  });

export type FileDirectoryData = z.output<typeof fileDirectorySchema>;
