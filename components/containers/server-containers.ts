/**
 * The stack's containers on a Docker host (@pulumi/docker): one provider for the configured host
 * (local socket or ssh://), the network, the volumes, the images built from this repository (or
 * given tags), and one container per spec of container-specs.ts. Files are written into the
 * containers at creation (uploads): runtime config, certificates and secrets, the secret ones as
 * Pulumi secrets with mode 0400, onto each container's own config volume (the root file system
 * is read-only). No environment variable carries a secret.
 */
import { join } from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { TMPFS_OPTIONS, type ContainerSpec, type StackContainers } from "./container-specs.ts";
import { fillMaterials, materialsIn, type MaterialName } from "./runtime-configs.ts";

export const SERVER_CONTAINERS_TYPE = "mailstack:containers:ServerContainers";

export interface ServerContainersArgs {
  /** The containers to declare (containerSpecs()). */
  readonly specs: StackContainers;
  /** The Docker host: unix:///var/run/docker.sock, ssh://user@host or tcp://host:port. */
  readonly host: string;
  /** The deploy-time values the files' placeholders stand for. */
  readonly materials: Readonly<Partial<Record<MaterialName, pulumi.Input<string>>>>;
  /** Where build contexts and Dockerfiles are taken from. Default the working directory. */
  readonly repoRoot?: string;
}

const MIB = 2 ** 20;

export class ServerContainers extends pulumi.ComponentResource {
  readonly provider: docker.Provider;
  readonly network: docker.Network;
  readonly volumes: Readonly<Record<string, docker.Volume>>;
  /** Each container's config volume, by server. */
  readonly configVolumes: Readonly<Record<string, docker.Volume>>;
  readonly images: Readonly<Record<string, docker.Image>>;
  readonly containers: Readonly<Record<string, docker.Container>>;

  constructor(name: string, args: ServerContainersArgs, opts?: pulumi.ComponentResourceOptions) {
    super(SERVER_CONTAINERS_TYPE, name, {}, opts);
    const { specs } = args;
    const root = args.repoRoot ?? process.cwd();
    this.provider = new docker.Provider(`${name}-host`, { host: args.host }, { parent: this });
    const child = { parent: this, provider: this.provider };

    this.network = new docker.Network(
      `${name}-network`,
      { name: specs.network, driver: "bridge" },
      child,
    );
    this.volumes = Object.fromEntries(
      Object.entries(specs.volumes).map(([role, volumeName]) => [
        role,
        // The mail, the queue and the directory live here: never replaced or deleted by accident.
        new docker.Volume(
          `${name}-volume-${role}`,
          { name: volumeName },
          { ...child, protect: true },
        ),
      ]),
    );

    // Not protected: they hold only what the stack writes into them at each container's creation.
    this.configVolumes = Object.fromEntries(
      specs.containers.map((spec) => [
        spec.server,
        new docker.Volume(`${name}-config-${spec.server}`, { name: spec.configVolume.name }, child),
      ]),
    );

    const images: Record<string, docker.Image> = {};
    for (const spec of specs.containers) {
      const source = spec.image;
      if (source.kind !== "build" || images[source.tag]) continue;
      const role = source.tag
        .slice(0, source.tag.lastIndexOf(":"))
        .replace(`${specs.network}-`, "");
      images[source.tag] = new docker.Image(
        `${name}-image-${role}`,
        {
          imageName: source.tag,
          build: {
            context: join(root, source.context),
            dockerfile: join(root, source.dockerfile),
            // Podman's Docker API has no BuildKit; the classic builder works everywhere.
            builderVersion: "BuilderV1",
            args: { ...source.args },
          },
          skipPush: true,
        },
        child,
      );
    }
    this.images = images;

    const directory = specs.containers.find((c) => c.server === "directory");
    const containers: Record<string, docker.Container> = {};
    // The directory first: the other servers bind to it as they start.
    const ordered = [
      ...(directory ? [directory] : []),
      ...specs.containers.filter((c) => c !== directory),
    ];
    for (const spec of ordered) {
      const dependsOn = spec === directory || !directory ? [] : [containers[directory.server]];
      containers[spec.server] = this.container(name, spec, args, child, dependsOn);
    }
    this.containers = containers;

    this.registerOutputs({
      network: this.network.name,
      containers: Object.fromEntries(Object.entries(containers).map(([k, c]) => [k, c.name])),
    });
  }

  private container(
    name: string,
    spec: ContainerSpec,
    args: ServerContainersArgs,
    opts: pulumi.CustomResourceOptions,
    dependsOn: (docker.Container | undefined)[],
  ): docker.Container {
    const image =
      spec.image.kind === "build"
        ? (this.images[spec.image.tag]?.repoDigest ?? spec.image.tag)
        : spec.image.tag;
    const uploads = spec.files.map((f) => {
      const names = materialsIn(f.text);
      const content = pulumi
        .all(names.map((m) => pulumi.output(args.materials[m] ?? missing(spec, m))))
        .apply((values) =>
          fillMaterials(f.text, Object.fromEntries(names.map((m, i) => [m, values[i]]))),
        );
      // Owned by the container's user, so a 0400 secret is readable to the server and no one else.
      const [owner = "0", group = owner] = spec.user.split(":");
      return {
        file: f.path,
        content: f.secret ? pulumi.secret(content) : content,
        permissions: f.mode,
        owner,
        group,
      };
    });
    return new docker.Container(
      `${name}-${spec.server}`,
      {
        name: spec.name,
        image,
        command: [...spec.command],
        envs: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        ports: spec.ports.map((p) => ({ internal: p.internal, external: p.external, ip: p.ip })),
        volumes: [
          ...spec.volumes.map((v) => ({
            volumeName: this.volumes[v.volume]?.name ?? v.volume,
            containerPath: v.path,
          })),
          {
            volumeName: this.configVolumes[spec.server]?.name ?? spec.configVolume.name,
            containerPath: spec.configVolume.path,
          },
        ],
        uploads,
        user: spec.user,
        readOnly: spec.readOnlyRootFs,
        tmpfs: Object.fromEntries(spec.tmpfs.map((path) => [path, TMPFS_OPTIONS])),
        restart: spec.restart,
        init: spec.init,
        healthcheck: {
          tests: [...spec.healthcheck.test],
          interval: `${spec.healthcheck.intervalSeconds}s`,
          timeout: `${spec.healthcheck.timeoutSeconds}s`,
          retries: spec.healthcheck.retries,
          startPeriod: `${spec.healthcheck.startPeriodSeconds}s`,
        },
        memory: Math.ceil(spec.resources.memoryBytes / MIB),
        ...(spec.resources.cpus === undefined ? {} : { cpus: String(spec.resources.cpus) }),
        logDriver: spec.log.driver,
        logOpts: { ...spec.log.options },
        networksAdvanced: [{ name: this.network.name, aliases: [spec.network.alias] }],
        // The directory must answer before `pulumi up` reconciles its entries.
        ...(spec.server === "directory" ? { wait: true, waitTimeout: 120 } : {}),
      },
      { ...opts, dependsOn: dependsOn.filter((d): d is docker.Container => d !== undefined) },
    );
  }
}

function missing(spec: ContainerSpec, material: MaterialName): never {
  throw new RangeError(`${spec.name}: no value for ${material}`);
}
