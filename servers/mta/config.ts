/** The MTA's runtime config (MAILSTACK_CONFIG), written by the local runner or mounted in a container. */
import { isIP } from "node:net";
import { z } from "zod";
import { directoryRuntimeSchema } from "../shared/directory/open.ts";
import {
  DEFAULT_CONNECTIONS_PER_CLIENT,
  DEFAULT_GREETING_PASS_SECONDS,
  DEFAULT_INBOUND_GREETING_DELAY_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_RECIPIENTS,
  DEFAULT_MESSAGES_PER_MINUTE,
  DEFAULT_SPAM_TIMEOUT_MS,
} from "./limits.ts";
import { isNetwork } from "./inbound/greeting-test.ts";
import { queueConfigSchema } from "./queue/config.ts";

const hostSchema = z.string().refine((h) => isIP(h) !== 0, { message: "expected an IP address" });
/** 0 picks a free port (tests). */
const portSchema = z.number().int().min(0).max(65535);
const listenerSchema = z.strictObject({ host: hostSchema, port: portSchema });

const domainSchema = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i, {
    message: "expected a domain name like example.com",
  })
  .transform((s) => s.toLowerCase());

/** Where the MDA listens for LMTP (RFC 2033). */
export const lmtpTargetSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("tcp"), host: hostSchema, port: portSchema }),
  z.strictObject({ kind: z.literal("unix"), path: z.string().min(1) }),
]);
export type LmtpTarget = z.output<typeof lmtpTargetSchema>;

export const DKIM_KEY_ALGORITHMS = ["rsa2048", "ed25519"] as const;

/** One signing key: a selector that is `active` in the stack config. */
export const dkimKeySchema = z.strictObject({
  selector: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
    message: "expected a DNS label like s2026a",
  }),
  algorithm: z.enum(DKIM_KEY_ALGORITHMS),
  /** PEM private key (PKCS#8 or PKCS#1); reloaded when the file changes. */
  keyPath: z.string().min(1),
});
export type DkimKeyConfig = z.output<typeof dkimKeySchema>;

const limitsSchema = z.strictObject({
  /** Largest message in bytes: announced with SIZE, answered 552 beyond. */
  maxMessageBytes: z.number().int().positive().default(DEFAULT_MAX_MESSAGE_BYTES),
  /** Recipients per transaction; 452 4.5.3 beyond (RFC 5321 §4.5.3.1.8: at least 100). */
  maxRecipients: z.number().int().min(1).default(DEFAULT_MAX_RECIPIENTS),
  /** Open connections per listener. */
  maxConnections: z.number().int().min(1).default(DEFAULT_MAX_CONNECTIONS),
  /** Open connections one client address may hold. */
  connectionsPerClient: z.number().int().min(1).default(DEFAULT_CONNECTIONS_PER_CLIENT),
  /** Messages per minute per client address (port 25) or per user (submission); 0: no limit. */
  messagesPerMinute: z.number().int().nonnegative().default(DEFAULT_MESSAGES_PER_MINUTE),
  /**
   * Wait before the greeting on port 25 for clients not known to behave, to catch early
   * talkers (inbound/greeting-test.ts); 0: no pause for anyone.
   */
  greetingDelayMs: z.number().int().nonnegative().default(DEFAULT_INBOUND_GREETING_DELAY_MS),
  /**
   * How long a client that waited for its greeting is then greeted at once (in this process's
   * memory); 0: every connection waits.
   */
  greetingPassSeconds: z.number().int().nonnegative().default(DEFAULT_GREETING_PASS_SECONDS),
  /** Addresses or CIDR blocks greeted at once on port 25, e.g. ["127.0.0.0/8", "::1"]. */
  greetingTrustedNetworks: z
    .array(z.string().refine(isNetwork, { message: "expected an IP address or CIDR block" }))
    .default([]),
});

const spamSchema = z.strictObject({
  /** The spam service's check endpoint: POST the message, get a verdict (spam-client.ts). */
  url: z.url({ protocol: /^https?$/ }),
  timeoutMs: z.number().int().positive().default(DEFAULT_SPAM_TIMEOUT_MS),
  /** When it cannot answer: `accept` with an `unchecked` verdict header, or `tempfail` (451). */
  whenDown: z.enum(["accept", "tempfail"]).default("accept"),
});

/** SRS for mail forwarded to a group's members at other domains (srs.ts). */
const srsSchema = z.strictObject({
  /** One secret a line, at least 16 characters: the first signs, all verify. */
  secretPath: z.string().min(1),
  /** The domain forwarded mail is sent from (one of domains); default: the first domain. */
  domain: domainSchema.optional(),
});

export const mtaConfigSchema = z
  .strictObject({
    /** Our host name: greeting, Received headers, the LHLO to the MDA. */
    hostname: z.string().min(1),
    /** The mail domains: port 25 accepts mail for these only. */
    domains: z.array(domainSchema).min(1),
    listeners: z.strictObject({
      /** Port 25: MX, no AUTH, STARTTLS offered. */
      smtp: listenerSchema.optional(),
      /** Port 587: submission, STARTTLS required before AUTH (RFC 6409). */
      submission: listenerSchema.optional(),
      /** Port 465: submission over implicit TLS (RFC 8314 §3.3). */
      submissions: listenerSchema.optional(),
    }),
    tls: z.strictObject({ certPath: z.string().min(1), keyPath: z.string().min(1) }),
    directory: directoryRuntimeSchema,
    /** The MDA, where mail for our domains is delivered. */
    lmtp: lmtpTargetSchema,
    spam: spamSchema.optional(),
    limits: limitsSchema.prefault({}),
    /** Signing keys per domain: the active selectors only (one per algorithm). */
    dkim: z.record(domainSchema, z.array(dkimKeySchema)).default({}),
    queue: queueConfigSchema,
    /** Without it, forwarded mail keeps its sender (and may fail SPF at the receiver). */
    srs: srsSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const { smtp, submission, submissions } = config.listeners;
    if (!smtp && !submission && !submissions) {
      ctx.addIssue({
        code: "custom",
        path: ["listeners"],
        message: "expected at least one of smtp, submission, submissions",
      });
    }
    if (config.srs?.domain !== undefined && !config.domains.includes(config.srs.domain)) {
      ctx.addIssue({
        code: "custom",
        path: ["srs", "domain"],
        message: `${config.srs.domain} is not one of the domains`,
      });
    }
    for (const [domain, keys] of Object.entries(config.dkim)) {
      if (!config.domains.includes(domain)) {
        ctx.addIssue({
          code: "custom",
          path: ["dkim", domain],
          message: `${domain} is not one of the domains`,
        });
      }
      for (const algorithm of DKIM_KEY_ALGORITHMS) {
        if (keys.filter((k) => k.algorithm === algorithm).length > 1) {
          ctx.addIssue({
            code: "custom",
            path: ["dkim", domain],
            message: `more than one ${algorithm} key: one signature per algorithm (RFC 8463 §3)`,
          });
        }
      }
    }
  });

export type MtaConfig = z.output<typeof mtaConfigSchema>;
export type MtaConfigInput = z.input<typeof mtaConfigSchema>;
