/**
 * The runtime config (MAILSTACK_CONFIG) of each server in its container: the same shapes the
 * local runner writes (cli/runner/servers.ts), with the container paths of layout.ts, the other
 * servers reached by their network alias, and listeners on all interfaces.
 *
 * Secrets never appear here: a value the stack only knows at deploy time is a placeholder
 * (`material()`), which the component fills in when it writes the file into the container. A
 * config with a secret placeholder is delivered as a secret file.
 */
import type { StackConfig } from "../../stacks/schema.ts";
import {
  CA_PATH,
  CERT_PATH,
  DATA_DIR,
  DIRECTORY_SERVICE_PASSWORD_PATH,
  INTERNAL_PORTS,
  LMTP_SOCKET,
  TLS_KEY_PATH,
  VOLUMES,
  dkimKeyPath,
} from "./layout.ts";

/** What a file may hold that is only known at deploy time. */
export type MaterialName =
  | "tls-key"
  | "tls-cert"
  | "ca-cert"
  | "directory-admin-password"
  | "directory-service-password"
  | `dkim:${string}:${string}`;

/** Material that is a secret: delivered only as a file, never in a plain output or env. */
export function isSecretMaterial(name: MaterialName): boolean {
  return name !== "tls-cert" && name !== "ca-cert";
}

/** The placeholder for `name` inside a file's text. */
export function material(name: MaterialName): string {
  return `{{${name}}}`;
}

const PLACEHOLDER = /\{\{([a-z0-9:.-]+)\}\}/g;

/** The materials a text refers to, in order of first use. */
export function materialsIn(text: string): MaterialName[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as MaterialName))];
}

/** Replaces every placeholder with its value; a missing value throws. */
export function fillMaterials(
  text: string,
  values: Readonly<Partial<Record<MaterialName, string>>>,
): string {
  return text.replace(PLACEHOLDER, (_, name: MaterialName) => {
    const value = values[name];
    if (value === undefined) throw new RangeError(`no value for ${name}`);
    return value;
  });
}

/** The directory as the servers see it from inside the network. */
export interface DirectoryLocation {
  readonly url: string;
  readonly baseDN: string;
  readonly serviceDN: string;
  /** The name on the directory's certificate (the stack's): the URL's host is an alias. */
  readonly servername: string;
  /** The CA the servers verify it with, when it is the stack's own (self-signed stacks). */
  readonly caPath?: string | undefined;
}

const ANY = "0.0.0.0";
const tls = { certPath: CERT_PATH, keyPath: TLS_KEY_PATH };
const domainsOf = (config: StackConfig) => config.domains.map((d) => d.name);

/** LDAP with StartTLS (the directory refuses anything in clear), the password as a secret file. */
function directory(location: DirectoryLocation) {
  return {
    backend: "ldap",
    url: location.url,
    baseDN: location.baseDN,
    bindDN: location.serviceDN,
    bindPasswordFile: DIRECTORY_SERVICE_PASSWORD_PATH,
    startTls: true,
    servername: location.servername,
    ...(location.caPath === undefined ? {} : { caPath: location.caPath }),
  };
}

/** The selectors that sign: exactly the `active` ones (part 1's rule). */
export function signingKeys(config: StackConfig) {
  return config.domains.flatMap((d) =>
    d.dkim
      .filter((s) => s.state === "active")
      .map((s) => ({ domain: d.name, selector: s.selector, algorithm: s.algorithm })),
  );
}

export function mdaConfig(config: StackConfig, location: DirectoryLocation) {
  return {
    hostname: config.hostname,
    domains: domainsOf(config),
    listen: [{ kind: "unix", path: LMTP_SOCKET }],
    dataDir: DATA_DIR,
    directory: directory(location),
  };
}

export function mtaConfig(config: StackConfig, location: DirectoryLocation) {
  const domains = domainsOf(config);
  const lmtp = { kind: "unix", path: LMTP_SOCKET };
  const dkim: Record<string, { selector: string; algorithm: string; keyPath: string }[]> = {};
  for (const key of signingKeys(config)) {
    (dkim[key.domain] ??= []).push({
      selector: key.selector,
      algorithm: key.algorithm,
      keyPath: dkimKeyPath(key.domain, key.selector),
    });
  }
  return {
    hostname: config.hostname,
    domains,
    listeners: {
      smtp: { host: ANY, port: INTERNAL_PORTS.smtp },
      submission: { host: ANY, port: INTERNAL_PORTS.submission },
      submissions: { host: ANY, port: INTERNAL_PORTS.submissions },
    },
    tls,
    directory: directory(location),
    lmtp,
    dkim,
    spam: { url: `http://spam:${INTERNAL_PORTS.spam}/check`, whenDown: "accept" },
    queue: {
      spoolDir: VOLUMES.queue,
      hostname: config.hostname,
      local: { domains, lmtp },
      resolver: { servers: [] },
    },
  };
}

export function imapConfig(config: StackConfig, location: DirectoryLocation) {
  return {
    hostname: config.hostname,
    domains: domainsOf(config),
    listen: [
      { host: ANY, port: INTERNAL_PORTS.imap, tls: "starttls" },
      { host: ANY, port: INTERNAL_PORTS.imaps, tls: "implicit" },
    ],
    tls,
    dataDir: DATA_DIR,
    directory: directory(location),
    spamUrl: `http://spam:${INTERNAL_PORTS.spam}`,
  };
}

export function pop3Config(config: StackConfig, location: DirectoryLocation) {
  return {
    hostname: config.hostname,
    domains: domainsOf(config),
    listen: [
      { host: ANY, port: INTERNAL_PORTS.pop3, tls: "starttls" },
      { host: ANY, port: INTERNAL_PORTS.pop3s, tls: "implicit" },
    ],
    tls,
    dataDir: DATA_DIR,
    directory: directory(location),
  };
}

export function spamConfig(config: StackConfig) {
  return {
    hostname: config.hostname,
    listen: { host: ANY, port: INTERNAL_PORTS.spam },
    dataDir: DATA_DIR,
    domains: domainsOf(config),
    dns: { servers: [] },
  };
}

export function webmailConfig(config: StackConfig, location: DirectoryLocation) {
  const upstream = (host: string, port: number) => ({
    host,
    port,
    tls: "implicit",
    servername: config.hostname,
  });
  return {
    hostname: config.hostname,
    domains: domainsOf(config),
    listen: { host: ANY, port: INTERNAL_PORTS.https },
    tls,
    imap: upstream("imap", INTERNAL_PORTS.imaps),
    submission: upstream("mta", INTERNAL_PORTS.submissions),
    // On its volume: the root file system is read-only.
    stateDir: VOLUMES.webmail,
    // For a user's own password change and address suggestions.
    directory: directory(location),
    // The servers' certificate names the public host name, which the webmail reaches by alias.
    ...(config.tls.mode === "selfSigned" ? { caPath: CA_PATH } : {}),
  };
}

/**
 * What the directory image's entrypoint (images/directory/entrypoint.sh) reads to write slapd's
 * config, as shell assignments. DNs come from domain names, which hold no quote or `$`.
 */
export function directoryEnvFile(location: DirectoryLocation): string {
  const values = {
    BASE_DN: location.baseDN,
    ADMIN_DN: `cn=admin,${location.baseDN}`,
    SERVICE_DN: location.serviceDN,
    PORT: String(INTERNAL_PORTS.ldap),
    DATA_DIR: VOLUMES.directory,
  };
  for (const value of Object.values(values)) {
    if (!/^[A-Za-z0-9=,.@/_-]+$/.test(value))
      throw new RangeError(`not safe in a shell file: ${value}`);
  }
  return Object.entries(values)
    .map(([k, v]) => `${k}='${v}'\n`)
    .join("");
}
