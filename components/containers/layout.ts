/**
 * Where things are inside the containers, in one place: the ports the servers listen on (above
 * 1024, so no server needs root or a capability), the paths of runtime config, certificates,
 * secrets and volumes. The Dockerfiles under images/ use the same paths.
 */

/** Ports inside the containers; the Docker host publishes some of them (stack config `docker.ports`). */
export const INTERNAL_PORTS = {
  smtp: 2525,
  submission: 2587,
  submissions: 2465,
  lmtp: 2424,
  imap: 2143,
  imaps: 2993,
  pop3: 2110,
  pop3s: 2995,
  spam: 2783,
  https: 8443,
  ldap: 3389,
} as const;

/**
 * Each container's files (runtime config, certificates, secrets) live on its own volume here:
 * the root file system is read-only, and Docker writes files into a read-only container only
 * below a volume.
 */
export const CONFIG_DIR = "/etc/mailstack";
/** Every server reads its runtime config from here (MAILSTACK_CONFIG). */
export const CONFIG_PATH = `${CONFIG_DIR}/config.json`;
export const CERT_PATH = `${CONFIG_DIR}/tls/cert.pem`;
export const CA_PATH = `${CONFIG_DIR}/tls/ca.pem`;
/** Secrets are files below this directory, readable by the server's user only (mode 0400). */
export const SECRETS_DIR = `${CONFIG_DIR}/secrets`;
export const TLS_KEY_PATH = `${SECRETS_DIR}/tls.key`;
export const dkimKeyPath = (domain: string, selector: string): string =>
  `${SECRETS_DIR}/dkim/${domain}.${selector}.pem`;
export const DIRECTORY_ADMIN_PASSWORD_PATH = `${SECRETS_DIR}/directory-admin-password`;
export const DIRECTORY_SERVICE_PASSWORD_PATH = `${SECRETS_DIR}/directory-service-password`;

/**
 * The servers' data directory: the volumes below are mounted where a data directory of the
 * local runner has them, so `mailstack backup --data-dir DATA_DIR` (and restore) work on the
 * volumes as on a local data directory (docs/deploy.md).
 */
export const DATA_DIR = "/var/lib/mailstack";

/** The volumes and where they are mounted. */
export const VOLUMES = {
  mail: `${DATA_DIR}/mail`,
  queue: `${DATA_DIR}/queue`,
  spam: `${DATA_DIR}/spam`,
  /** The webmail's per-user settings (display name, signature). */
  webmail: `${DATA_DIR}/webmail`,
  directory: "/var/lib/ldap",
  /**
   * The MDA's LMTP socket, shared with the MTA only. A socket rather than TCP on the network:
   * LMTP has no authentication, and a socket's file permissions admit the servers' user alone.
   */
  lmtp: "/run/mailstack",
} as const;
export const LMTP_SOCKET = `${VOLUMES.lmtp}/lmtp.sock`;
export type VolumeName = keyof typeof VOLUMES;

/** The user our server image runs as (images/server.Dockerfile), and the directory's. */
export const SERVER_USER = "10001:10001";
export const DIRECTORY_USER = "10002:10002";
