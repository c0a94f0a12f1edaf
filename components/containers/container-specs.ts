/**
 * The containers a stack declares, as one pure function of the stack config: image, published
 * ports, volumes, files (runtime config, certificates, secrets), restart policy, health check,
 * init, resource limits, log options and network. The Docker component (server-containers.ts),
 * `mailstack plan` and the podman run in CI all read this list; none keeps its own copy.
 *
 * Secrets are files whose text is a placeholder (runtime-configs.ts `material()`); no spec
 * holds a secret value, and no environment variable ever carries one.
 *
 * Every container's root file system is read-only: its files are written onto its own config
 * volume (layout.ts CONFIG_DIR), data goes to the data volumes, scratch space to a tmpfs.
 */
import type { SERVER_NAMES } from "../../stacks/schema/deploy.ts";
import { parseSize } from "../../stacks/schema/primitives.ts";
import type { StackConfig } from "../../stacks/schema.ts";
import { baseDNForDomain, serviceAccountDN } from "../directory/directory-entries.ts";
import {
  CA_PATH,
  CERT_PATH,
  CONFIG_DIR,
  CONFIG_PATH,
  DIRECTORY_ADMIN_PASSWORD_PATH,
  DIRECTORY_SERVICE_PASSWORD_PATH,
  DIRECTORY_USER,
  INTERNAL_PORTS,
  LMTP_SOCKET,
  SERVER_USER,
  TLS_KEY_PATH,
  VOLUMES,
  dkimKeyPath,
  type VolumeName,
} from "./layout.ts";
import {
  directoryEnvFile,
  imapConfig,
  isSecretMaterial,
  material,
  materialsIn,
  mdaConfig,
  mtaConfig,
  pop3Config,
  signingKeys,
  spamConfig,
  webmailConfig,
  type DirectoryLocation,
  type MaterialName,
} from "./runtime-configs.ts";

export type ServerName = (typeof SERVER_NAMES)[number];

/** Where an image comes from: built from this repository, or a tag given in the config. */
export type ImageSource =
  | {
      readonly kind: "build";
      /** The tag the build gets on the Docker host. */
      readonly tag: string;
      readonly dockerfile: string;
      /** The build context, relative to the repository root. */
      readonly context: string;
      readonly args: Readonly<Record<string, string>>;
    }
  | { readonly kind: "given"; readonly tag: string };

export interface FileSpec {
  readonly path: string;
  /** The text, with `{{material}}` placeholders for what is known at deploy time. */
  readonly text: string;
  /** Octal permissions: 0400 for secrets, 0444 otherwise. */
  readonly mode: string;
  /** True when a placeholder is a secret: the filled-in text is a Pulumi secret. */
  readonly secret: boolean;
}

export interface ContainerSpec {
  readonly server: ServerName;
  /** The container's name on the Docker host. */
  readonly name: string;
  readonly image: ImageSource;
  readonly command: readonly string[];
  /** Published ports: internal (in the container) -> external (on the host, at `ip`). */
  readonly ports: readonly {
    readonly internal: number;
    readonly external: number;
    readonly ip: string;
  }[];
  readonly volumes: readonly { readonly volume: VolumeName; readonly path: string }[];
  /**
   * This container's own volume for its files, mounted at `CONFIG_DIR`: rewritten whenever the
   * container is created, never shared, holding nothing that is not in the stack.
   */
  readonly configVolume: { readonly name: string; readonly path: string };
  readonly files: readonly FileSpec[];
  /** Never a secret: the test of the whole program checks. */
  readonly env: Readonly<Record<string, string>>;
  readonly user: string;
  readonly readOnlyRootFs: boolean;
  /** Writable scratch space in memory (mount options: TMPFS_OPTIONS). */
  readonly tmpfs: readonly string[];
  readonly restart: "unless-stopped";
  readonly init: true;
  readonly healthcheck: {
    readonly test: readonly string[];
    readonly intervalSeconds: number;
    readonly timeoutSeconds: number;
    readonly retries: number;
    readonly startPeriodSeconds: number;
  };
  readonly resources: { readonly memoryBytes: number; readonly cpus?: number };
  readonly log: {
    readonly driver: "json-file";
    readonly options: Readonly<Record<string, string>>;
  };
  /** The network and the name other containers reach this one by. */
  readonly network: { readonly name: string; readonly alias: string };
}

export interface StackContainers {
  readonly network: string;
  /** Docker volume names by role. */
  readonly volumes: Readonly<Record<VolumeName, string>>;
  readonly containers: readonly ContainerSpec[];
  /** The directory as the servers reach it, and as pulumi reaches it to reconcile. */
  readonly directory: DirectoryLocation & { readonly adminDN: string; readonly adminUrl: string };
}

/** Memory limits when the config gives none: enough for each server's working set. */
const DEFAULT_MEMORY: Readonly<Record<ServerName, string>> = {
  mta: "512MiB",
  mda: "512MiB",
  imap: "512MiB",
  pop3: "256MiB",
  spam: "1GiB",
  webmail: "256MiB",
  directory: "256MiB",
};

/** Mount options of every tmpfs: writable by the non-root user, nothing executable from it. */
export const TMPFS_OPTIONS = "rw,noexec,nosuid,nodev,mode=1777,size=64m";

/** slapd's Unix socket inside the directory container (images/directory/entrypoint.sh). */
export const DIRECTORY_LDAPI_URL = "ldapi://%2Ftmp%2Fslapd%2Fldapi";

/** The server image holds every Node server; the directory has its own. */
export const SERVER_DOCKERFILE = "images/server.Dockerfile";
export const DIRECTORY_DOCKERFILE = "images/directory.Dockerfile";

/** A connect from inside the container: the server answers on its TCP port or Unix socket. */
function connectCheck(target: number | string): string[] {
  const where = typeof target === "number" ? `${target},"127.0.0.1"` : JSON.stringify(target);
  return [
    "CMD",
    "node",
    "-e",
    `require("node:net").connect(${where}).on("connect",()=>process.exit(0)).on("error",()=>process.exit(1))`,
  ];
}

function file(path: string, text: string): FileSpec {
  const secret = materialsIn(text).some(isSecretMaterial);
  return { path, text, mode: secret ? "0400" : "0444", secret };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * The containers of `config`. `prefix` names the network, volumes and containers (default
 * `mailstack`), so two stacks can share a Docker host; `version` tags the images built here.
 */
export function containerSpecs(
  config: StackConfig,
  options: { readonly prefix?: string; readonly version?: string } = {},
): StackContainers {
  const prefix = options.prefix ?? "mailstack";
  const version = options.version ?? "latest";
  const docker = config.docker;
  const baseDN = baseDNForDomain(config.domains[0]?.name ?? "");
  const selfSigned = config.tls.mode === "selfSigned";
  const location: DirectoryLocation = {
    url: `ldap://directory:${INTERNAL_PORTS.ldap}`,
    baseDN,
    serviceDN: serviceAccountDN(baseDN),
    servername: config.hostname,
    ...(selfSigned ? { caPath: CA_PATH } : {}),
  };
  const volumes = {
    mail: `${prefix}-mail`,
    queue: `${prefix}-queue`,
    spam: `${prefix}-spam`,
    webmail: `${prefix}-webmail`,
    directory: `${prefix}-directory`,
    lmtp: `${prefix}-lmtp`,
  } as const;
  const network = prefix;

  const image = (server: ServerName): ImageSource => {
    const given = docker.images[server];
    if (given !== undefined) return { kind: "given", tag: given };
    const directory = server === "directory";
    return {
      kind: "build",
      // Not prefixed: stacks on one Docker host built from one repository share the images.
      tag: `mailstack-${directory ? "directory" : "server"}:${version}`,
      dockerfile: directory ? DIRECTORY_DOCKERFILE : SERVER_DOCKERFILE,
      context: ".",
      args: {},
    };
  };
  const tlsFiles = [file(CERT_PATH, material("tls-cert")), file(TLS_KEY_PATH, material("tls-key"))];
  const caFiles = selfSigned ? [file(CA_PATH, material("ca-cert"))] : [];
  /** What a server needs to bind to the directory: the service password, and the CA. */
  const directoryFiles = [
    file(DIRECTORY_SERVICE_PASSWORD_PATH, material("directory-service-password")),
    ...caFiles,
  ];
  const publish = (internal: number, external: number) => ({
    internal,
    external,
    ip: docker.publishAddress,
  });

  const spec = (
    server: ServerName,
    parts: Pick<ContainerSpec, "ports" | "volumes" | "files"> & { port: number | string },
  ): ContainerSpec => {
    const resources = docker.resources[server];
    const directory = server === "directory";
    return {
      server,
      name: `${prefix}-${server}`,
      image: image(server),
      command: directory ? [] : ["node", `servers/${server}/main.js`],
      ports: parts.ports,
      volumes: parts.volumes,
      configVolume: { name: `${prefix}-config-${server}`, path: CONFIG_DIR },
      files: parts.files,
      env: directory ? {} : { MAILSTACK_CONFIG: CONFIG_PATH, NODE_ENV: "production" },
      user: directory ? DIRECTORY_USER : SERVER_USER,
      // Docker copies files (the uploads) into a read-only container only below a volume: they
      // go to the config volume.
      readOnlyRootFs: true,
      tmpfs: ["/tmp"],
      restart: "unless-stopped",
      init: true,
      healthcheck: {
        test: directory
          ? // Its Unix socket: TCP answers nothing in clear (images/directory/entrypoint.sh).
            ["CMD", "ldapwhoami", "-x", "-H", DIRECTORY_LDAPI_URL]
          : connectCheck(parts.port),
        intervalSeconds: 30,
        timeoutSeconds: 5,
        retries: 3,
        startPeriodSeconds: 20,
      },
      resources: {
        memoryBytes: resources?.memory ?? parseSize(DEFAULT_MEMORY[server]),
        ...(resources?.cpus === undefined ? {} : { cpus: resources.cpus }),
      },
      log: { driver: "json-file", options: { "max-size": "10m", "max-file": "3" } },
      network: { name: network, alias: server },
    };
  };
  const configFile = (value: unknown) => file(CONFIG_PATH, json(value));
  const ports = docker.ports;

  const containers: ContainerSpec[] = [
    spec("directory", {
      port: INTERNAL_PORTS.ldap,
      ports: [
        {
          internal: INTERNAL_PORTS.ldap,
          external: docker.directory.port,
          ip: docker.directory.publishAddress,
        },
      ],
      volumes: [{ volume: "directory", path: VOLUMES.directory }],
      files: [
        file("/etc/mailstack/directory.env", directoryEnvFile(location)),
        file(DIRECTORY_ADMIN_PASSWORD_PATH, material("directory-admin-password")),
        ...tlsFiles,
      ],
    }),
    spec("spam", {
      port: INTERNAL_PORTS.spam,
      ports: [],
      volumes: [{ volume: "spam", path: VOLUMES.spam }],
      files: [configFile(spamConfig(config))],
    }),
    spec("mda", {
      port: LMTP_SOCKET,
      ports: [],
      volumes: [
        { volume: "mail", path: VOLUMES.mail },
        { volume: "lmtp", path: VOLUMES.lmtp },
      ],
      files: [configFile(mdaConfig(config, location)), ...directoryFiles],
    }),
    spec("mta", {
      port: INTERNAL_PORTS.smtp,
      ports: [
        publish(INTERNAL_PORTS.smtp, ports.smtp),
        publish(INTERNAL_PORTS.submission, ports.submission),
        publish(INTERNAL_PORTS.submissions, ports.submissions),
      ],
      volumes: [
        { volume: "queue", path: VOLUMES.queue },
        { volume: "lmtp", path: VOLUMES.lmtp },
      ],
      files: [
        configFile(mtaConfig(config, location)),
        ...tlsFiles,
        ...directoryFiles,
        ...signingKeys(config).map((k) =>
          file(dkimKeyPath(k.domain, k.selector), material(`dkim:${k.domain}:${k.selector}`)),
        ),
      ],
    }),
    spec("imap", {
      port: INTERNAL_PORTS.imaps,
      ports: [publish(INTERNAL_PORTS.imaps, ports.imaps)],
      volumes: [{ volume: "mail", path: VOLUMES.mail }],
      files: [configFile(imapConfig(config, location)), ...tlsFiles, ...directoryFiles],
    }),
    // POP3 runs only when the stack offers it (services.pop3).
    ...(config.services.pop3
      ? [
          spec("pop3", {
            port: INTERNAL_PORTS.pop3s,
            ports: [publish(INTERNAL_PORTS.pop3s, ports.pop3s)],
            volumes: [{ volume: "mail", path: VOLUMES.mail }],
            files: [configFile(pop3Config(config, location)), ...tlsFiles, ...directoryFiles],
          }),
        ]
      : []),
    spec("webmail", {
      port: INTERNAL_PORTS.https,
      ports: [publish(INTERNAL_PORTS.https, ports.https)],
      volumes: [{ volume: "webmail", path: VOLUMES.webmail }],
      // directoryFiles carry the CA too (self-signed stacks).
      files: [configFile(webmailConfig(config, location)), ...tlsFiles, ...directoryFiles],
    }),
  ];

  return {
    network,
    volumes,
    containers,
    directory: {
      ...location,
      adminDN: `cn=admin,${baseDN}`,
      adminUrl:
        docker.directory.url ??
        `ldap://${docker.directory.publishAddress}:${docker.directory.port}`,
    },
  };
}

/** The secrets a container is given (as files), for plans and reviews. */
export function secretsOf(spec: ContainerSpec): MaterialName[] {
  return [...new Set(spec.files.flatMap((f) => materialsIn(f.text).filter(isSecretMaterial)))];
}
