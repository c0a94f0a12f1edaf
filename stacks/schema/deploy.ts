/**
 * What part 2 (containers on a Docker host) needs: the host, image tags, published ports and
 * resource limits per server. Parsed now so that a typo fails today, not at the first deploy.
 */
import { z } from "zod";
import { portSchema, sizeSchema } from "./primitives.ts";

export const SERVER_NAMES = ["mta", "mda", "imap", "pop3", "spam", "webmail", "directory"] as const;

const resourcesSchema = z.strictObject({
  /** Memory limit, e.g. 512MiB. */
  memory: sizeSchema.optional(),
  /** CPU limit in cores, e.g. 0.5. */
  cpus: z.number().positive().max(256).optional(),
});

export const dockerSchema = z.strictObject({
  /** The Docker host: a local socket (unix:///var/run/docker.sock) or ssh://user@host. */
  host: z
    .string()
    .regex(/^(unix:\/\/\/|ssh:\/\/|tcp:\/\/)\S+$/, {
      message: "expected unix:///path/docker.sock, ssh://user@host or tcp://host:port",
    })
    .default("unix:///var/run/docker.sock"),
  /** Image per server; unset ones are built from this repository's Dockerfiles. */
  images: z.partialRecord(z.enum(SERVER_NAMES), z.string().min(1)).default({}),
  /** The host address the mail and webmail ports are published on. Default 0.0.0.0 (all). */
  publishAddress: z.union([z.ipv4(), z.ipv6()]).default("0.0.0.0"),
  /** Ports published on the host. */
  ports: z
    .strictObject({
      smtp: portSchema.default(25),
      submission: portSchema.default(587),
      submissions: portSchema.default(465),
      imaps: portSchema.default(993),
      pop3s: portSchema.default(995),
      https: portSchema.default(443),
    })
    .prefault({}),
  resources: z.partialRecord(z.enum(SERVER_NAMES), resourcesSchema).default({}),
  /**
   * The directory container's LDAP port, published on the Docker host so that `pulumi up` can
   * reconcile the users, aliases and groups into it.
   */
  directory: z
    .strictObject({
      /** The host address the port is published on. Default 127.0.0.1 (not reachable from outside). */
      publishAddress: z.union([z.ipv4(), z.ipv6()]).default("127.0.0.1"),
      /** The published port. Default 3389. */
      port: portSchema.default(3389),
      /**
       * How the machine running pulumi reaches it; default ldap://<publishAddress>:<port>, right
       * for a local Docker socket. For an ssh:// host, open a tunnel first
       * (`ssh -L 3389:127.0.0.1:3389 deploy@host`) and keep the default.
       */
      url: z
        .string()
        .regex(/^ldaps?:\/\/[^\s/]+\/?$/, {
          message: "expected ldap://host:port or ldaps://host:port",
        })
        .optional(),
    })
    .prefault({}),
});
