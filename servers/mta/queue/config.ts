/**
 * The `queue` section of the MTA's runtime config: where the spool lives, how often and how long
 * to retry, how to reach remote MX hosts and the local MDA. Durations are in seconds (fractions
 * allowed, which tests use to run a whole retry schedule in a second).
 */
import { isIP } from "node:net";
import { join } from "node:path";
import { z } from "zod";

/** The spool of a data directory: `mailstack queue` and the local runner agree on it here. */
export function defaultSpoolDir(dataDir: string): string {
  return join(dataDir, "queue");
}

const seconds = z.number().positive();

/** "host" or "host:port", IPv6 as "[::1]:53": node:dns setServers syntax. */
const dnsServer = z.string().refine(
  (s) => {
    const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(s);
    return m !== null && isIP(m[1] ?? "") !== 0 && (m[2] === undefined || Number(m[2]) <= 65535);
  },
  { message: 'expected an IP address with an optional port ("127.0.0.1:53", "[::1]:53")' },
);

const lmtpTargetSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("tcp"),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
  }),
  z.strictObject({ kind: z.literal("unix"), path: z.string().min(1) }),
]);

export type LmtpTarget = z.output<typeof lmtpTargetSchema>;

export const queueConfigSchema = z.strictObject({
  /** The spool directory; by convention defaultSpoolDir(dataDir). */
  spoolDir: z.string().min(1),
  /** Our host name: EHLO/LHLO name, Reporting-MTA of bounces, MAILER-DAEMON's domain. */
  hostname: z.string().min(1),
  /** Exponential backoff between attempts of one recipient: first, first*factor, ... up to max. */
  retry: z
    .strictObject({
      /** Default 300 (5 min). */
      firstSeconds: seconds.default(300),
      /** Default 2. */
      factor: z.number().min(1).default(2),
      /** Default 14400 (4 h). */
      maxSeconds: seconds.default(4 * 3600),
    })
    .prefault({}),
  /** A recipient still failing temporarily this long after arrival is bounced (4.4.7). 5 days. */
  expirySeconds: seconds.default(5 * 86_400),
  /** A delay DSN (Action: delayed) once a recipient is still pending after this. 4 h; 0: never. */
  delayWarningSeconds: z
    .number()
    .nonnegative()
    .default(4 * 3600),
  /** Messages being delivered at once. Default 20. */
  concurrency: z.number().int().positive().default(20),
  /** Connections at once to one destination (a remote domain, or the MDA). Default 5. */
  perDestinationConcurrency: z.number().int().positive().default(5),
  outbound: z
    .strictObject({
      /** Port of remote MX hosts. 25; another one lets two stacks share loopback. */
      port: z.number().int().min(1).max(65535).default(25),
      /** PEM files of extra CAs trusted when a certificate must verify (REQUIRETLS). */
      caPaths: z.array(z.string().min(1)).default([]),
      /** Addresses tried per attempt across all MX hosts (Postfix: smtp_mx_address_limit). */
      maxAddresses: z.number().int().positive().default(5),
      /** Bind outgoing connections to this address. */
      localAddress: z
        .string()
        .refine((h) => isIP(h) !== 0, { message: "expected an IP address" })
        .optional(),
    })
    .prefault({}),
  /** DNS servers for MX/A/AAAA lookups; absent: the system's. */
  resolver: z
    .strictObject({
      servers: z.array(dnsServer).default([]),
      timeoutMs: z.number().int().positive().default(5000),
      tries: z.number().int().positive().default(2),
    })
    .prefault({}),
  /** Local domains are delivered to the MDA over LMTP instead of their MX. */
  local: z
    .strictObject({
      domains: z.array(z.string().min(1)).default([]),
      lmtp: lmtpTargetSchema,
    })
    .optional(),
  /** RFC 5321 §4.5.3.2 suggests 5 min per command and 10 min for the end of DATA. */
  timeouts: z
    .strictObject({
      /** TCP connect. Default 30. */
      connectSeconds: seconds.default(30),
      /** Greeting and STARTTLS handshake. Default 300. */
      greetingSeconds: seconds.default(300),
      /** Silence from the server on any command, the final "." included. Default 600. */
      idleSeconds: seconds.default(600),
    })
    .prefault({}),
  /** Failure DSNs return the full message up to this size, only its headers beyond. 10 MiB. */
  bounceFullMaxBytes: z
    .number()
    .int()
    .nonnegative()
    .default(10 * 1024 * 1024),
});

export type QueueConfig = z.output<typeof queueConfigSchema>;
export type QueueConfigInput = z.input<typeof queueConfigSchema>;
