/** The MDA's runtime config (MAILSTACK_CONFIG), written by the local runner or mounted in a container. */
import { isIP } from "node:net";
import { z } from "zod";
import { directoryRuntimeSchema } from "../shared/directory/open.ts";

const listenerSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("tcp"),
    host: z.string().refine((h) => isIP(h) !== 0, { message: "expected an IP address" }),
    /** 0 picks a free port (tests). */
    port: z.number().int().min(0).max(65535),
  }),
  z.strictObject({ kind: z.literal("unix"), path: z.string().min(1) }),
]);

export type Listener = z.output<typeof listenerSchema>;

export function isLoopback(host: string): boolean {
  return host === "::1" || host.startsWith("127.") || host === "::ffff:127.0.0.1";
}

export const mdaConfigSchema = z
  .strictObject({
    /** Our host name: in the greeting and the Received header. */
    hostname: z.string().min(1),
    /** The mail domains, for the directory. */
    domains: z.array(z.string().min(1)).min(1),
    listen: z.array(listenerSchema).min(1),
    /** Certificate for STARTTLS; required when a TCP listener is not on loopback. */
    tls: z.strictObject({ certPath: z.string().min(1), keyPath: z.string().min(1) }).optional(),
    /** The store's data directory, shared with IMAP and POP3. */
    dataDir: z.string().min(1),
    directory: directoryRuntimeSchema,
    /** Largest message accepted, in bytes. Default 50 MiB. */
    maxMessageBytes: z
      .number()
      .int()
      .positive()
      .default(50 * 1024 * 1024),
    /** Over quota: `permanent` answers 552 5.2.2 (bounce), `temporary` 452 4.2.2 (retry). */
    overQuota: z.enum(["permanent", "temporary"]).default("permanent"),
    /** A second delivery of the same message to the same mailbox within this window is dropped. */
    dedupeWindowSeconds: z.number().int().nonnegative().default(86_400),
    /** File `user+tag@` into the folder `tag` when the user has one. Default true. */
    plusFolders: z.boolean().default(true),
    /**
     * LMTP worker processes sharing the listeners (node:cluster). Each has its own store
     * connections, so deliveries to different mailboxes are parsed and fsynced in parallel.
     * Default: the number of CPUs (`os.availableParallelism()`); 1 runs in the main process.
     */
    workers: z.number().int().min(1).max(64).optional(),
  })
  .superRefine((config, ctx) => {
    config.listen.forEach((l, i) => {
      if (l.kind === "tcp" && !isLoopback(l.host) && config.tls === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["listen", i, "host"],
          message: "listening beyond loopback needs tls (certPath, keyPath) for STARTTLS",
        });
      }
    });
  });

export type MdaConfig = z.output<typeof mdaConfigSchema>;
