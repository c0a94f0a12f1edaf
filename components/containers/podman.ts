/**
 * The same containers as podman command lines, for CI here (no Docker engine, ENVIRONMENT.md)
 * and for anyone who runs the stack without Pulumi: derived from containerSpecs(), never written
 * by hand, so what CI runs is what `pulumi up` declares.
 *
 * Files are not in these arguments: the runner copies them in between `create` and `start` as
 * a tar stream whose entries carry the container user's uid/gid and the spec's mode, as the
 * Docker provider's uploads do.
 */
import { TMPFS_OPTIONS, type ContainerSpec, type StackContainers } from "./container-specs.ts";
import { DATA_DIR } from "./layout.ts";

export interface PodmanImages {
  /** The local tag to run for a spec; default its image tag. */
  readonly imageOf?: (spec: ContainerSpec) => string;
}

export function podmanNetworkArgs(stack: StackContainers): string[] {
  return ["network", "create", stack.network];
}

/** The data volumes, then each container's config volume. */
export function podmanVolumeArgs(stack: StackContainers): string[][] {
  return [...Object.values(stack.volumes), ...stack.containers.map((c) => c.configVolume.name)].map(
    (name) => ["volume", "create", name],
  );
}

/** `podman create ...` for one container (start it with `podman start <name>`). */
export function podmanCreateArgs(
  stack: StackContainers,
  spec: ContainerSpec,
  options: PodmanImages = {},
): string[] {
  const args = ["create", "--name", spec.name];
  args.push("--network", spec.network.name, "--network-alias", spec.network.alias);
  if (spec.init) args.push("--init");
  args.push("--restart", spec.restart, "--user", spec.user);
  if (spec.readOnlyRootFs) args.push("--read-only");
  for (const path of spec.tmpfs) args.push("--tmpfs", `${path}:${TMPFS_OPTIONS}`);
  for (const p of spec.ports) {
    const ip = p.ip.includes(":") ? `[${p.ip}]` : p.ip;
    args.push("--publish", `${ip}:${p.external}:${p.internal}`);
  }
  // `U`: podman chowns the volume to the container's user (Docker copies the image directory's
  // owner onto a new volume; podman 4 does not).
  for (const v of spec.volumes) args.push("--volume", `${stack.volumes[v.volume]}:${v.path}:U`);
  args.push("--volume", `${spec.configVolume.name}:${spec.configVolume.path}:U`);
  for (const [k, v] of Object.entries(spec.env)) args.push("--env", `${k}=${v}`);
  args.push("--memory", `${spec.resources.memoryBytes}b`);
  if (spec.resources.cpus !== undefined) args.push("--cpus", String(spec.resources.cpus));
  args.push("--log-driver", "k8s-file");
  for (const [k, v] of Object.entries(spec.log.options)) {
    // Podman's k8s-file driver knows max-size; it rotates into one file only.
    if (k === "max-size") args.push("--log-opt", `${k}=${v}`);
  }
  const h = spec.healthcheck;
  args.push(
    "--health-cmd",
    healthCommand(h.test),
    "--health-interval",
    `${h.intervalSeconds}s`,
    "--health-timeout",
    `${h.timeoutSeconds}s`,
    "--health-retries",
    String(h.retries),
    "--health-start-period",
    `${h.startPeriodSeconds}s`,
  );
  args.push(options.imageOf?.(spec) ?? spec.image.tag, ...spec.command);
  return args;
}

/** The volumes `mailstack backup` and `restore` work on, and where a server container has them. */
export function dataVolumeMounts(stack: StackContainers): { volume: string; path: string }[] {
  const seen = new Map<string, string>();
  for (const spec of stack.containers) {
    for (const v of spec.volumes) {
      if (v.volume === "mail" || v.volume === "spam" || v.volume === "queue") {
        seen.set(stack.volumes[v.volume], v.path);
      }
    }
  }
  return [...seen].map(([volume, path]) => ({ volume, path }));
}

/**
 * `podman run` (or `docker run`: the same arguments) of a one-off container of the server image
 * with the data volumes where the servers have them and `hostDir` at /backup, running the
 * mailstack command `args` as the servers' user: `backup --out /backup/<name>` while the
 * servers run, `restore --from /backup/<name>` once they are stopped (docs/deploy.md).
 */
export function podmanDataCommandArgs(
  stack: StackContainers,
  image: string,
  hostDir: string,
  args: readonly string[],
): string[] {
  const server = stack.containers.find((c) => c.server === "mda");
  if (!server) throw new RangeError("the stack has no mda container");
  return [
    "run",
    "--rm",
    "--network",
    "none",
    "--user",
    server.user,
    ...dataVolumeMounts(stack).flatMap((m) => ["--volume", `${m.volume}:${m.path}`]),
    "--volume",
    `${hostDir}:/backup`,
    image,
    "node",
    "cli/main.js",
    ...args,
    "--data-dir",
    DATA_DIR,
  ];
}

/** One argument for /bin/sh, quoted. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * A Docker health check test (`["CMD", argv...]` or `["CMD-SHELL", command]`) as the shell
 * command podman 4 takes: it keeps a JSON array as one string instead of parsing it.
 */
export function healthCommand(test: readonly string[]): string {
  const [kind, ...rest] = test;
  if (kind === "CMD-SHELL" && rest.length === 1 && rest[0] !== undefined) return rest[0];
  if (kind === "CMD" && rest.length > 0) return rest.map(shellQuote).join(" ");
  throw new RangeError(`not a health check test: ${JSON.stringify(test)}`);
}
