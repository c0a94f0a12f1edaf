/**
 * The webmail's runtime config (MAILSTACK_CONFIG), written by the local runner or mounted. The
 * webmail is an ordinary client of our IMAP and submission servers: it needs where they are and
 * which CA to trust, never the store. The directory only for a user's own password change and
 * for address autocompletion.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { directoryRuntimeSchema } from "../shared/directory/open.ts";
import {
  DEFAULT_ABSOLUTE_SESSION_SECONDS,
  DEFAULT_IDLE_SESSION_SECONDS,
  DEFAULT_LOGIN_FAILURES_PER_ADDRESS,
  DEFAULT_LOGIN_FAILURES_PER_IP,
  DEFAULT_LOGIN_WINDOW_SECONDS,
} from "./limits.ts";

const ipSchema = z.string().refine((h) => isIP(h) !== 0, { message: "expected an IP address" });
/** 0 picks a free port (tests). */
const portSchema = z.number().int().min(0).max(65535);

/** A mail server the webmail talks to as a client, with the user's own credentials. */
const upstreamSchema = z.strictObject({
  host: z.string().min(1),
  port: portSchema.refine((p) => p > 0, { message: "expected a port above 0" }),
  /** `implicit`: TLS from the first byte (993, 465); `starttls`: upgrade first (143, 587). */
  tls: z.enum(["implicit", "starttls"]),
  /** The name its certificate must carry; default `host`. */
  servername: z.string().min(1).optional(),
});
export type Upstream = z.output<typeof upstreamSchema>;

/** One server a mail client is told about by autoconfig and autodiscover. */
const clientServiceSchema = z.strictObject({
  protocol: z.enum(["imap", "pop3", "smtp"]),
  host: z.string().min(1),
  port: portSchema.refine((p) => p > 0, { message: "expected a port above 0" }),
  security: z.enum(["tls", "starttls"]),
});
export type ClientService = z.output<typeof clientServiceSchema>;

export const webmailConfigSchema = z.strictObject({
  /** Our host name: in the page title and the autoconfig documents. */
  hostname: z.string().min(1),
  /** The mail domains: autoconfig answers for these; logins at other domains are refused early. */
  domains: z.array(z.string().min(1)).min(1),
  /** The display name of the mail service in autoconfig documents; default the first domain. */
  displayName: z.string().min(1).optional(),
  listen: z.strictObject({ host: ipSchema, port: portSchema }),
  /** Certificate and key of the HTTPS listener (the stack's certificate). */
  tls: z.strictObject({ certPath: z.string().min(1), keyPath: z.string().min(1) }),
  imap: upstreamSchema,
  submission: upstreamSchema,
  /** PEM file of the CA that signed the IMAP and submission certificates; default the system's. */
  caPath: z.string().min(1).optional(),
  session: z
    .strictObject({
      /** A session unused this long ends. */
      idleSeconds: z.number().int().min(60).default(DEFAULT_IDLE_SESSION_SECONDS),
      /** A session ends this long after login, used or not. */
      absoluteSeconds: z.number().int().min(300).default(DEFAULT_ABSOLUTE_SESSION_SECONDS),
    })
    .prefault({}),
  throttle: z
    .strictObject({
      /** Failed logins allowed per address within the window before it is refused (429). */
      failuresPerAddress: z.number().int().min(1).default(DEFAULT_LOGIN_FAILURES_PER_ADDRESS),
      /** Failed logins allowed per client IP within the window. */
      failuresPerIp: z.number().int().min(1).default(DEFAULT_LOGIN_FAILURES_PER_IP),
      windowSeconds: z.number().int().min(1).default(DEFAULT_LOGIN_WINDOW_SECONDS),
    })
    .prefault({}),
  /** The MTA-STS policy text of each domain (components/dns/mta-sts.ts), by domain name. */
  mtaStsPolicies: z.record(z.string(), z.string()).default({}),
  /** What autoconfig and autodiscover tell mail clients. */
  clientServices: z.array(clientServiceSchema).default([]),
  /**
   * Where the webmail keeps each user's settings (display name, signature, correspondents).
   * Without it they are kept in memory only, and lost when the webmail restarts.
   */
  stateDir: z.string().min(1).optional(),
  /**
   * The directory, as the other servers reach it: for password changes and address
   * autocompletion. Without it, neither is offered.
   */
  directory: directoryRuntimeSchema.optional(),
});

export type WebmailConfig = z.output<typeof webmailConfigSchema>;
