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

/** Every server reads its runtime config from here (MAILSTACK_CONFIG). */
export const CONFIG_PATH = "/etc/mailstack/config.json";
export const CERT_PATH = "/etc/mailstack/tls/cert.pem";
export const CA_PATH = "/etc/mailstack/tls/ca.pem";
/** Secrets are files below this directory, readable by the server's user only. */
export const SECRETS_DIR = "/run/secrets";
export const TLS_KEY_PATH = `${SECRETS_DIR}/tls.key`;
export const dkimKeyPath = (domain: string, selector: string): string =>
  `${SECRETS_DIR}/dkim/${domain}.${selector}.pem`;
export const DIRECTORY_ADMIN_PASSWORD_PATH = `${SECRETS_DIR}/directory-admin-password`;

/** The volumes and where they are mounted. */
export const VOLUMES = {
  mail: "/var/lib/mailstack/mail",
  queue: "/var/spool/mailstack",
  spam: "/var/lib/mailstack/spam",
  directory: "/var/lib/ldap",
  /** The MDA's LMTP socket, shared with the MTA (the MTA's LMTP target is an IP or a socket). */
  lmtp: "/run/mailstack",
} as const;
export const LMTP_SOCKET = `${VOLUMES.lmtp}/lmtp.sock`;
export type VolumeName = keyof typeof VOLUMES;

/** The user our server image runs as (images/server.Dockerfile), and the directory's. */
export const SERVER_USER = "10001:10001";
export const DIRECTORY_USER = "10002:10002";
