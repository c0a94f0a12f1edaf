/** The IMAP server's runtime config (MAILSTACK_CONFIG), written by the local runner or mounted. */
import { isIP } from "node:net";
import { z } from "zod";
import { directoryRuntimeSchema } from "../shared/directory/open.ts";
import { DEFAULT_CONNECTIONS_PER_CLIENT, DEFAULT_MAX_CONNECTIONS } from "./limits.ts";

export function isLoopback(host: string): boolean {
  return host === "::1" || host.startsWith("127.") || host === "::ffff:127.0.0.1";
}

const listenerSchema = z.strictObject({
  host: z.string().refine((h) => isIP(h) !== 0, { message: "expected an IP address" }),
  /** 0 picks a free port (tests). */
  port: z.number().int().min(0).max(65535),
  /** `starttls`: port 143 style; `implicit`: port 993 style; `none`: plain, loopback only. */
  tls: z.enum(["starttls", "implicit", "none"]),
});

export type ImapListener = z.output<typeof listenerSchema>;

export const imapConfigSchema = z
  .strictObject({
    /** Our host name, in the greeting. */
    hostname: z.string().min(1),
    /** The mail domains, for the directory. */
    domains: z.array(z.string().min(1)).min(1),
    listen: z.array(listenerSchema).min(1),
    /** Certificate and key; required by starttls and implicit listeners. */
    tls: z.strictObject({ certPath: z.string().min(1), keyPath: z.string().min(1) }).optional(),
    /** The store's data directory, shared with the MDA and POP3. */
    dataDir: z.string().min(1),
    directory: directoryRuntimeSchema,
    /** The spam service's base URL; moving mail into or out of Junk POSTs to `{spamUrl}/learn`. */
    spamUrl: z.url().optional(),
    /** Allow LOGIN and AUTHENTICATE without TLS. Only for loopback listeners (development). */
    insecureAuth: z.boolean().default(false),
    /** RFC 9051 §5.4: at least 30 minutes once authenticated. */
    authenticatedTimeoutSeconds: z.number().int().min(1800).default(1800),
    unauthenticatedTimeoutSeconds: z.number().int().positive().default(60),
    /** Connections held at once, all listeners together; more are told BYE and closed. */
    maxConnections: z.number().int().positive().default(DEFAULT_MAX_CONNECTIONS),
    /** Connections one client IP address may hold at once; more are told BYE and closed. */
    maxConnectionsPerClient: z.number().int().positive().default(DEFAULT_CONNECTIONS_PER_CLIENT),
    /** Client addresses without the per-address limit: gateways for many users (webmail). */
    connectionLimitExempt: z
      .array(z.string().refine((h) => isIP(h) !== 0, { message: "expected an IP address" }))
      .default([]),
    /**
     * IMAP worker processes sharing the listeners (node:cluster): sessions, parsing and the
     * store's SQLite reads of different clients run on different cores. Connection limits and
     * login throttling count across all of them (in the primary). Default: the number of CPUs
     * (`os.availableParallelism()`); 1 serves in the main process.
     */
    workers: z.number().int().min(1).max(64).optional(),
  })
  .superRefine((config, ctx) => {
    config.listen.forEach((l, i) => {
      if (l.tls !== "none" && config.tls === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["listen", i, "tls"],
          message: `a ${l.tls} listener needs tls (certPath, keyPath)`,
        });
      }
      if (l.tls === "none" && !isLoopback(l.host)) {
        ctx.addIssue({
          code: "custom",
          path: ["listen", i, "host"],
          message: "a listener without TLS must be on loopback",
        });
      }
    });
  });

export type ImapConfig = z.output<typeof imapConfigSchema>;
