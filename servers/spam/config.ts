/**
 * The spam service's runtime config (MAILSTACK_CONFIG), written by the local runner or mounted
 * in a container. Everything optional has the default named beside it; the DNS-based checks
 * other than sender authentication (blocklists), greylisting and virus scanning are off unless
 * configured.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { DEFAULT_DNS_CACHE } from "./dns-cache.ts";
import { isSymbolName } from "./scores.ts";

const hostSchema = z.string().refine((h) => isIP(h) !== 0, { message: "expected an IP address" });
const domainSchema = z
  .string()
  .regex(
    /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i,
    {
      message: "expected a domain name",
    },
  )
  .transform((d) => d.toLowerCase());
const cidrSchema = z.string().refine(
  (c) => {
    const [address = "", bits, extra] = c.split("/");
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    return (
      family !== 0 &&
      extra === undefined &&
      (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max))
    );
  },
  { message: "expected an address or CIDR block, e.g. 192.0.2.0/24" },
);

/** Total score at which each action starts; reject must be above junk. */
const thresholdsSchema = z
  .strictObject({
    /** Default 6: Bayes at >= 90% or several rules together. */
    junk: z.number().default(6),
    /** Default 15: only mail that is spam beyond doubt is refused at SMTP time. */
    reject: z.number().default(15),
  })
  .refine((t) => t.reject > t.junk, { message: "reject must be above junk", path: ["reject"] });

const partialThresholdsSchema = z.strictObject({
  junk: z.number().optional(),
  reject: z.number().optional(),
});

const zoneListSchema = z.array(domainSchema).default([]);

export const spamConfigSchema = z.strictObject({
  /** Our host name: the authserv-id of Authentication-Results (RFC 8601 §2.5). */
  hostname: z.string().min(1),
  listen: z.strictObject({ host: hostSchema, port: z.number().int().min(0).max(65535) }),
  /** Where the classifier, votes and greylist live (`<dataDir>/spam/spam.sqlite`). */
  dataDir: z.string().min(1),
  /** Our mail domains: a Received field claiming our host, Reply-To checks. */
  domains: z.array(domainSchema).default([]),
  /** Largest message accepted, in bytes (the JSON body may be 4/3 of this, base64). Default 25 MiB. */
  maxMessageBytes: z
    .number()
    .int()
    .positive()
    .default(25 * 1024 * 1024),
  /** Worker processes serving HTTP (node:cluster); 1 serves from the main process. */
  workers: z.number().int().min(1).max(64).default(1),
  /**
   * Clients in these networks skip SPF, HELO, blocklist checks and greylisting: relays of our
   * own that hand on mail from elsewhere. Default none, not even loopback: on a single host
   * the MTA's clients are on loopback too (tests, a local relay) and must be judged.
   */
  trustedNetworks: z.array(cidrSchema).default([]),
  thresholds: thresholdsSchema.prefault({}),
  /** Per recipient domain, thresholds that replace the stack's. */
  domainThresholds: z.record(domainSchema, partialThresholdsSchema).default({}),
  /** Score overrides per symbol (scores.ts names every symbol). */
  scores: z
    .record(z.string(), z.number())
    .default({})
    .superRefine((scores, ctx) => {
      for (const name of Object.keys(scores)) {
        if (!isSymbolName(name)) {
          ctx.addIssue({
            code: "custom",
            path: [name],
            message: `unknown symbol "${name}" (see servers/spam/scores.ts)`,
          });
        }
      }
    }),
  dns: z
    .strictObject({
      /** "host" or "host:port"; empty: the system's resolvers. */
      servers: z.array(z.string().min(1)).default([]),
      timeoutMs: z.number().int().positive().default(2000),
      tries: z.number().int().min(1).default(2),
      cache: z
        .strictObject({
          maxEntries: z.number().int().positive().default(DEFAULT_DNS_CACHE.maxEntries),
          minTtl: z.number().int().nonnegative().default(DEFAULT_DNS_CACHE.minTtl),
          maxTtl: z.number().int().positive().default(DEFAULT_DNS_CACHE.maxTtl),
          defaultTtl: z.number().int().positive().default(DEFAULT_DNS_CACHE.defaultTtl),
          negativeTtl: z.number().int().nonnegative().default(DEFAULT_DNS_CACHE.negativeTtl),
        })
        .prefault({}),
    })
    .prefault({}),
  /** DNS blocklists queried with the client address (e.g. "zen.example.org"). Off: []. */
  dnsbl: zoneListSchema,
  /** Domain blocklists queried with sender and linked domains. Off: []. */
  domainBlocklists: zoneListSchema,
  /** URL shortener hosts, beside the built-in list. */
  extraShorteners: z.array(domainSchema).default([]),
  bayes: z
    .strictObject({
      /** Messages of each class the merged model needs before it gives an opinion. */
      minSpam: z.number().int().nonnegative().default(20),
      minHam: z.number().int().nonnegative().default(20),
      /** How much one message a user learned counts against one of the global model. */
      userWeight: z.number().positive().default(5),
      /** Distinct users who must agree before a message trains the global model. */
      globalQuorum: z.number().int().min(1).default(3),
      /** Votes a user may cast toward the global model per day; the rest train only them. */
      votesPerUserPerDay: z.number().int().nonnegative().default(200),
    })
    .prefault({}),
  greylist: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** How long a new triplet is refused (RFC 6647 §2.2: minutes, not hours). */
      delaySeconds: z.number().int().nonnegative().default(300),
      /** A first attempt not retried within this long is forgotten. */
      retryWindowSeconds: z
        .number()
        .int()
        .positive()
        .default(2 * 86_400),
      /** A triplet that passed stays passed this long after its last message. */
      passedSeconds: z
        .number()
        .int()
        .positive()
        .default(36 * 86_400),
      /** Messages scoring below this are never greylisted. */
      minScore: z.number().default(0),
    })
    .prefault({}),
  clamd: z
    .strictObject({
      /** clamd's local socket (Debian: /run/clamav/clamd.ctl). */
      socket: z.string().min(1),
      timeoutMs: z.number().int().positive().default(20_000),
      /** Chunk size of INSTREAM; clamd's StreamMaxLength bounds the total. */
      chunkBytes: z
        .number()
        .int()
        .positive()
        .default(64 * 1024),
    })
    .optional(),
});

export type SpamConfig = z.output<typeof spamConfigSchema>;
