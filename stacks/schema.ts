/**
 * The stack config: the `mailstack:` namespace of `stacks/Pulumi.<env>.yaml`, and of any file
 * given to `mailstack start --config`. One schema for the Pulumi program and the local runner;
 * parsed once at each boundary, frozen, and strict (a misspelt key is an error, not a default).
 *
 * Keys appear here without the `mailstack:` prefix; load.ts strips it and restores it in errors.
 * The parts live in schema/: primitives, DKIM selectors, DNS policies, TLS, and deployment.
 */
import { z } from "zod";
import {
  addressSchema,
  aliasEntrySchema,
  checkDirectoryEntries,
  groupEntrySchema,
  passwordHashSchema,
} from "../servers/shared/directory/file-data.ts";
import { dockerSchema } from "./schema/deploy.ts";
import { dkimSelectorsSchema } from "./schema/dkim.ts";
import { caaSchema, dmarcSchema, mtaStsSchema, spfSchema, tlsRptSchema } from "./schema/policy.ts";
import {
  domainNameSchema,
  durationSecondsSchema,
  hostnameSchema,
  portSchema,
  sizeSchema,
} from "./schema/primitives.ts";
import { tlsSchema } from "./schema/tls.ts";

export { parseSize, sizeSchema } from "./schema/primitives.ts";

const domainSchema = z.strictObject({
  name: domainNameSchema,
  /** The Cloudflare zone holding this domain's records (required when dns.provider is cloudflare). */
  cloudflareZoneId: z
    .string()
    .regex(/^[0-9a-f]{32}$/, { message: "expected a 32-hex-digit Cloudflare zone ID" })
    .optional(),
  /** Unknown addresses at this domain are delivered here instead of being refused. */
  catchAll: addressSchema.optional(),
  spf: spfSchema.prefault({}),
  /** DKIM selectors; an empty list means this domain's mail is not signed (not recommended). */
  dkim: dkimSelectorsSchema.default([]),
  dmarc: dmarcSchema.prefault({}),
  mtaSts: mtaStsSchema.prefault({}),
  tlsRpt: tlsRptSchema.prefault({}),
});

const userSchema = z.strictObject({
  address: addressSchema,
  name: z.string().min(1).max(256),
  /**
   * The password hash (`mailstack hash-password`). The local runner allows it to be left out:
   * it then makes a password on first start, prints it once and keeps only its hash.
   */
  passwordHash: passwordHashSchema.optional(),
  /**
   * Or the password itself as a Pulumi secret (`pulumi config set --secret --path
   * 'mailstack:users[0].password'`); the stack hashes it before it reaches the directory.
   */
  password: z.string().min(8, { message: "expected at least 8 characters" }).optional(),
  quota: sizeSchema.optional(),
});

const directorySchema = z.discriminatedUnion("backend", [
  z.strictObject({ backend: z.literal("file") }),
  z.strictObject({
    backend: z.literal("ldap"),
    url: z.string().regex(/^ldaps?:\/\/[^\s/]+\/?$/, {
      message: "expected ldap://host:port or ldaps://host:port",
    }),
    baseDN: z.string().min(1),
    bindDN: z.string().min(1),
    bindPassword: z.string().min(1),
  }),
]);

/** Ports of the local runner. Defaults are above 1024 so no root is needed. */
const localPortsSchema = z.strictObject({
  smtp: portSchema.default(2525),
  submission: portSchema.default(2587),
  submissions: portSchema.default(2465),
  lmtp: portSchema.default(2424),
  imap: portSchema.default(2143),
  imaps: portSchema.default(2993),
  pop3: portSchema.default(2110),
  pop3s: portSchema.default(2995),
  spam: portSchema.default(2783),
  webmail: portSchema.default(8443),
});

/** The names of the ports the local runner binds (smtp, imap, webmail, ...). */
export type LocalPortName = keyof typeof localPortsSchema.shape;
export const LOCAL_PORT_NAMES = Object.keys(localPortsSchema.shape) as readonly LocalPortName[];

const localSchema = z.strictObject({
  /** The loopback address the servers listen on; two organisations use two addresses. */
  listen: z.union([z.ipv4(), z.ipv6()]).default("127.0.0.1"),
  /** Where mail, queues, the local CA and the runner's status live. Relative to the config file. */
  dataDir: z.string().min(1).default(".data/default"),
  /** The DNS server used for MX, SPF, DKIM and DMARC lookups, as host:port; default the system's. */
  resolver: z
    .string()
    .regex(/^(\[[0-9a-f:]+\]|[0-9.]+)(:\d{1,5})?$/i, {
      message: "expected an IP address with an optional :port",
    })
    .optional(),
  ports: localPortsSchema.prefault({}),
  /** The MTA's mail to other hosts. */
  outbound: z
    .strictObject({
      /** The port of remote MX hosts. Default 25; two local stacks deliver to each other's smtp port. */
      port: portSchema.default(25),
      /**
       * The address outgoing connections leave from, the one this stack's SPF record allows
       * (`mailstack:addresses`); default the system's choice.
       */
      localAddress: z.union([z.ipv4(), z.ipv6()]).optional(),
      /** The first retry of a deferred message, then twice as long each time up to retryMax. */
      retryFirst: durationSecondsSchema.pipe(z.number().positive()).default(300),
      /** The longest wait between retries. Default 4h. */
      retryMax: durationSecondsSchema.pipe(z.number().positive()).default(14_400),
    })
    .prefault({}),
});

export const stackConfigSchema = z
  .strictObject({
    domains: z.array(domainSchema).min(1, { message: "expected at least one domain" }),
    /** The mail host's name: MX target, TLS certificate name, SMTP greeting. */
    hostname: hostnameSchema,
    /** The public addresses of the mail host: its A and AAAA records. */
    addresses: z
      .strictObject({ ipv4: z.array(z.ipv4()).default([]), ipv6: z.array(z.ipv6()).default([]) })
      .prefault({}),
    /** Where DNS records go: cloudflare, or none (only printed by `mailstack plan`). */
    dns: z
      .strictObject({
        provider: z.enum(["cloudflare", "none"]).default("none"),
        /** TTL of published records in seconds; 1 means Cloudflare's automatic. Default 3600. */
        ttl: z.number().int().min(1).max(86400).default(3600),
      })
      .prefault({}),
    tls: tlsSchema.default({ mode: "selfSigned", validityDays: 365 }),
    caa: caaSchema.prefault({}),
    /** Which client services are offered; disabled ones get SRV records with target "." (RFC 6186). */
    services: z
      .strictObject({
        imap: z.boolean().default(true),
        pop3: z.boolean().default(true),
        submission: z.boolean().default(true),
      })
      .prefault({}),
    users: z.array(userSchema).default([]),
    aliases: z.array(aliasEntrySchema).default([]),
    groups: z.array(groupEntrySchema).default([]),
    directory: directorySchema.default({ backend: "file" }),
    local: localSchema.prefault({}),
    docker: dockerSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: "custom", path, message });
    checkDirectoryEntries(
      {
        ...config,
        catchAll: config.domains.flatMap((d, i) =>
          d.catchAll ? [{ to: d.catchAll, path: ["domains", i, "catchAll"] }] : [],
        ),
      },
      issue,
    );
    const domains = new Set(config.domains.map((d) => d.name));
    const local = (address: string) => domains.has(address.slice(address.lastIndexOf("@") + 1));
    const atOurDomain = (address: string, path: (string | number)[]) => {
      if (!local(address)) {
        issue(
          path,
          `${address} is not at one of this stack's domains (${[...domains].join(", ")})`,
        );
      }
    };
    config.users.forEach((u, i) => {
      atOurDomain(u.address, ["users", i, "address"]);
      if (u.password !== undefined && u.passwordHash !== undefined) {
        issue(
          ["users", i, "password"],
          "give either password (a secret) or passwordHash, not both",
        );
      }
    });
    config.aliases.forEach((a, i) => atOurDomain(a.address, ["aliases", i, "address"]));
    config.groups.forEach((g, i) => atOurDomain(g.address, ["groups", i, "address"]));

    const seen = new Set<string>();
    config.domains.forEach((d, i) => {
      if (seen.has(d.name)) issue(["domains", i, "name"], `${d.name} is listed twice`);
      seen.add(d.name);
      if (config.dns.provider === "cloudflare" && d.cloudflareZoneId === undefined) {
        issue(["domains", i, "cloudflareZoneId"], "required when dns.provider is cloudflare");
      }
      if (d.mtaSts.mode === "enforce" && config.tls.mode === "selfSigned") {
        issue(
          ["domains", i, "mtaSts", "mode"],
          "enforce needs a publicly trusted certificate; with tls.mode selfSigned senders would refuse to deliver (use testing, or tls.mode acme)",
        );
      }
    });
    if (config.tls.mode === "acme" && config.dns.provider !== "cloudflare") {
      issue(
        ["tls", "mode"],
        "acme answers its DNS-01 challenges through Cloudflare: set dns.provider to cloudflare",
      );
    }
  });

export type StackConfig = z.output<typeof stackConfigSchema>;
