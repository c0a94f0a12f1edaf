/**
 * Where the servers' certificate comes from.
 *   selfSigned  a CA made by the stack issues the certificate (dev stacks; clients trust the CA)
 *   acme        ACME DNS-01 through Cloudflare (production); renewed by `pulumi up` near expiry
 *   files       a certificate and key you manage yourself, read from files on the deploying machine
 */
import { z } from "zod";

export const ACME_DIRECTORIES = {
  production: "https://acme-v02.api.letsencrypt.org/directory",
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

export const tlsSchema = z.discriminatedUnion("mode", [
  z.strictObject({
    mode: z.literal("selfSigned"),
    /** Validity of the server certificate in days. Default 365. */
    validityDays: z.number().int().min(1).max(3650).default(365),
  }),
  z.strictObject({
    mode: z.literal("acme"),
    /** The account's contact address, told about expiry problems. */
    email: z.email({ message: "expected the ACME account's email address" }),
    /** `production`, `staging`, or the directory URL of another ACME CA. Default production. */
    server: z
      .union([z.enum(["production", "staging"]), z.url({ protocol: /^https$/ })])
      .default("production"),
    /** Renew when fewer than this many days are left. Default 30. */
    renewDays: z.number().int().min(1).max(60).default(30),
  }),
  z.strictObject({
    mode: z.literal("files"),
    certFile: z.string().min(1),
    keyFile: z.string().min(1),
    /** Intermediate certificates, if not already appended to certFile. */
    chainFile: z.string().min(1).optional(),
  }),
]);

export type TlsConfig = z.output<typeof tlsSchema>;
