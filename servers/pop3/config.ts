/** The POP3 server's runtime config (MAILSTACK_CONFIG), written by the local runner or mounted. */
import { isIP } from "node:net";
import { z } from "zod";
import { directoryRuntimeSchema } from "../shared/directory/open.ts";
import {
  DEFAULT_CONNECTIONS_PER_CLIENT,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  DEFAULT_MAX_CONNECTIONS,
} from "./limits.ts";

const listenerSchema = z.strictObject({
  host: z.string().refine((h) => isIP(h) !== 0, { message: "expected an IP address" }),
  /** 0 picks a free port (tests). */
  port: z.number().int().min(0).max(65535),
  /**
   * `starttls`: the 110-style port, cleartext until STLS (RFC 2595 §4); no login before it.
   * `implicit`: the 995-style port, TLS from the first byte (RFC 8314 §3.3).
   */
  tls: z.enum(["starttls", "implicit"]),
});

export type Pop3Listener = z.output<typeof listenerSchema>;

export const pop3ConfigSchema = z.strictObject({
  /** Our host name, in the greeting. */
  hostname: z.string().min(1),
  /** The mail domains, for the directory. */
  domains: z.array(z.string().min(1)).min(1),
  listen: z.array(listenerSchema).min(1),
  /**
   * Certificate and key. Required: without TLS nobody could log in, since passwords never
   * travel in cleartext (USER, PASS and AUTH need STLS first).
   */
  tls: z.strictObject({ certPath: z.string().min(1), keyPath: z.string().min(1) }),
  /** The store's data directory, shared with the MDA and IMAP. */
  dataDir: z.string().min(1),
  directory: directoryRuntimeSchema,
  /**
   * Inactivity autologout, in seconds. RFC 1939 §3 asks for at least 600 (the default); lower
   * values are for tests.
   */
  idleTimeoutSeconds: z.number().int().positive().default(DEFAULT_IDLE_TIMEOUT_SECONDS),
  /** Connections one client address may hold at once. */
  maxConnectionsPerClient: z.number().int().positive().default(DEFAULT_CONNECTIONS_PER_CLIENT),
  /** Connections the server holds at once. */
  maxConnections: z.number().int().positive().default(DEFAULT_MAX_CONNECTIONS),
});

export type Pop3Config = z.output<typeof pop3ConfigSchema>;
