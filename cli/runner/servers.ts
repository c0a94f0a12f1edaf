/**
 * The servers the local runner starts, in start order. Each server issue adds its entry here;
 * a server that does not exist yet is simply not listed.
 */
import { join, resolve } from "node:path";
import { mtaStsPolicy } from "../../components/dns/mta-sts.ts";
import { defaultSpoolDir } from "../../servers/mta/queue/config.ts";
import type { DirectoryRuntimeConfig } from "../../servers/shared/directory/open.ts";
import type { StackConfig } from "../../stacks/schema.ts";
import { activeDkimKeys, ensureDkimKeys } from "./dkim-keys.ts";

const ROOT = resolve(import.meta.dirname, "../..");

/** What the runner has prepared before any server starts. */
export interface RunContext {
  readonly config: StackConfig;
  readonly dataDir: string;
  readonly tls: { readonly certPath: string; readonly keyPath: string; readonly caPath: string };
  /** The directory runtime config every server passes to openDirectory. */
  readonly directory: DirectoryRuntimeConfig;
}

export interface ServerPlan {
  readonly name: string;
  /** Absolute path of the server's main.ts. */
  readonly entry: string;
  /**
   * Work that must be done before runtimeConfig, e.g. generating keys the config names; the
   * runner awaits it for every plan first.
   */
  prepare?(context: RunContext): Promise<void>;
  /** The JSON the server reads from MAILSTACK_CONFIG, checked by the server's own schema. */
  runtimeConfig(context: RunContext): unknown;
}

/** Where the MDA's Unix socket is; the MTA delivers through it. */
export function lmtpSocketPath(dataDir: string): string {
  return join(dataDir, "run", "lmtp.sock");
}

const mda: ServerPlan = {
  name: "mda",
  entry: join(ROOT, "servers/mda/main.ts"),
  runtimeConfig: ({ config, dataDir, directory }) => ({
    hostname: config.hostname,
    domains: config.domains.map((d) => d.name),
    listen: [
      { kind: "tcp", host: config.local.listen, port: config.local.ports.lmtp },
      { kind: "unix", path: lmtpSocketPath(dataDir) },
    ],
    dataDir,
    directory,
  }),
};

const pop3: ServerPlan = {
  name: "pop3",
  entry: join(ROOT, "servers/pop3/main.ts"),
  runtimeConfig: (context) => {
    const { ports } = context.config.local;
    return mailboxServer(context, ports.pop3, ports.pop3s);
  },
};

/** What IMAP and POP3 share: a STARTTLS and an implicit-TLS listener on the store. */
function mailboxServer(
  { config, dataDir, tls, directory }: RunContext,
  starttlsPort: number,
  implicitPort: number,
) {
  return {
    hostname: config.hostname,
    domains: config.domains.map((d) => d.name),
    listen: [
      { host: config.local.listen, port: starttlsPort, tls: "starttls" },
      { host: config.local.listen, port: implicitPort, tls: "implicit" },
    ],
    tls: { certPath: tls.certPath, keyPath: tls.keyPath },
    dataDir,
    directory,
  };
}

/** An address as the host part of a URL: IPv6 in brackets. */
function urlHost(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

/** The MTA: MX, submission, DKIM signing, the queue; local mail goes to the MDA's Unix socket. */
const mta: ServerPlan = {
  name: "mta",
  entry: join(ROOT, "servers/mta/main.ts"),
  async prepare({ config, dataDir }) {
    await ensureDkimKeys(config, dataDir);
  },
  runtimeConfig: ({ config, dataDir, tls, directory }) => {
    const domains = config.domains.map((d) => d.name);
    const lmtp = { kind: "unix", path: lmtpSocketPath(dataDir) };
    const listener = (port: number) => ({ host: config.local.listen, port });
    return {
      hostname: config.hostname,
      domains,
      listeners: {
        smtp: listener(config.local.ports.smtp),
        submission: listener(config.local.ports.submission),
        submissions: listener(config.local.ports.submissions),
      },
      tls: { certPath: tls.certPath, keyPath: tls.keyPath },
      directory,
      lmtp,
      dkim: activeDkimKeys(config, dataDir),
      // The spam service, once the runner starts one (its plan is named "spam").
      ...(SERVERS.some((p) => p.name === "spam")
        ? {
            spam: {
              url: `http://${urlHost(config.local.listen)}:${config.local.ports.spam}/check`,
              whenDown: "accept",
            },
          }
        : {}),
      queue: {
        spoolDir: defaultSpoolDir(dataDir),
        hostname: config.hostname,
        local: { domains, lmtp },
        resolver: { servers: config.local.resolver ? [config.local.resolver] : [] },
        outbound: {
          port: config.local.outbound.port,
          ...(config.local.outbound.localAddress === undefined
            ? {}
            : { localAddress: config.local.outbound.localAddress }),
        },
        retry: {
          firstSeconds: config.local.outbound.retryFirst,
          maxSeconds: config.local.outbound.retryMax,
        },
      },
    };
  },
};

/** IMAP (STARTTLS and implicit TLS) on the store; moves into and out of Junk teach the spam service. */
const imap: ServerPlan = {
  name: "imap",
  entry: join(ROOT, "servers/imap/main.ts"),
  runtimeConfig: (context) => {
    const { listen, ports } = context.config.local;
    return {
      ...mailboxServer(context, ports.imap, ports.imaps),
      // The webmail logs every user in from the listen address: no per-address connection limit
      // there (locally every client shares it, which is fine on loopback).
      ...(SERVERS.some((p) => p.name === "webmail") ? { connectionLimitExempt: [listen] } : {}),
      ...(SERVERS.some((p) => p.name === "spam")
        ? { spamUrl: `http://${urlHost(listen)}:${ports.spam}` }
        : {}),
    };
  },
};

/** The spam filter the MTA asks at DATA (servers/spam/README.md); started before the MTA. */
const spam: ServerPlan = {
  name: "spam",
  entry: join(ROOT, "servers/spam/main.ts"),
  runtimeConfig: ({ config, dataDir }) => ({
    hostname: config.hostname,
    listen: { host: config.local.listen, port: config.local.ports.spam },
    dataDir,
    domains: config.domains.map((d) => d.name),
    dns: { servers: config.local.resolver ? [config.local.resolver] : [] },
  }),
};

/**
 * The webmail on HTTPS: a client of IMAP (implicit TLS) and submission (STARTTLS) with each
 * user's own credentials, trusting the local CA; also serves MTA-STS and client autoconfig.
 */
const webmail: ServerPlan = {
  name: "webmail",
  entry: join(ROOT, "servers/webmail/main.ts"),
  runtimeConfig: ({ config, tls, dataDir, directory }) => {
    const { listen, ports } = config.local;
    const upstream = (port: number, security: "implicit" | "starttls") => ({
      host: listen,
      port,
      tls: security,
      servername: config.hostname,
    });
    const service = (protocol: string, port: number, security: "tls" | "starttls") => ({
      protocol,
      host: config.hostname,
      port,
      security,
    });
    return {
      hostname: config.hostname,
      domains: config.domains.map((d) => d.name),
      listen: { host: listen, port: ports.webmail },
      tls: { certPath: tls.certPath, keyPath: tls.keyPath },
      imap: upstream(ports.imaps, "implicit"),
      submission: upstream(ports.submission, "starttls"),
      caPath: tls.caPath,
      // Users' settings; the directory for their own password change and address suggestions.
      stateDir: join(dataDir, "webmail"),
      directory,
      mtaStsPolicies: Object.fromEntries(
        config.domains.map((d) => [d.name, mtaStsPolicy(config, d.name)]),
      ),
      clientServices: [
        ...(config.services.imap
          ? [service("imap", ports.imaps, "tls"), service("imap", ports.imap, "starttls")]
          : []),
        ...(config.services.pop3
          ? [service("pop3", ports.pop3s, "tls"), service("pop3", ports.pop3, "starttls")]
          : []),
        ...(config.services.submission
          ? [
              service("smtp", ports.submissions, "tls"),
              service("smtp", ports.submission, "starttls"),
            ]
          : []),
      ],
    };
  },
};

export const SERVERS: readonly ServerPlan[] = [mda, spam, mta, pop3, imap, webmail];
