/**
 * Runs the stack's declared containers with podman, from the same specs the Pulumi component
 * declares (components/containers/container-specs.ts via podman.ts): network, volumes, ports,
 * files (runtime config, certificates, secrets, owned by the container's user), then start.
 * Everything it makes carries a unique prefix and is removed by `cleanup()`.
 *
 * Needs rootful podman and the images built first (images/*.Dockerfile; `.ci/run` builds them).
 */
import { execFile, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import type {
  ContainerSpec,
  StackContainers,
} from "../../components/containers/container-specs.ts";
import {
  podmanCreateArgs,
  podmanNetworkArgs,
  podmanVolumeArgs,
} from "../../components/containers/podman.ts";
import { fillMaterials, type MaterialName } from "../../components/containers/runtime-configs.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);

/** Podman with the project's settings for machines without systemd. */
export async function podman(args: readonly string[], input?: Buffer): Promise<string> {
  const env = { ...process.env, CONTAINERS_CONF: join(ROOT, "images/containers.conf") };
  if (input === undefined) {
    try {
      return (await run("podman", [...args], { env, maxBuffer: 16 * 2 ** 20 })).stdout;
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`podman ${args.join(" ")}: ${e.stderr ?? e.message}`, { cause: error });
    }
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn("podman", [...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolvePromise(out) : reject(new Error(`podman ${args.join(" ")}: ${err}`)),
    );
    child.stdin.end(input);
  });
}

/** Why the container tests cannot run here, or undefined when they can. */
export async function podmanUnavailable(images: readonly string[]): Promise<string | undefined> {
  try {
    await podman(["version", "--format", "{{.Client.Version}}"]);
  } catch {
    return "podman is not installed";
  }
  for (const image of images) {
    try {
      await podman(["image", "exists", image]);
    } catch {
      return `image ${image} is not built (podman build -f images/...; .ci/run builds them)`;
    }
  }
  return undefined;
}

/**
 * A tar archive of `files` (paths below `dir`) whose entries belong to `user` ("uid:gid"), with
 * their modes as on disk. Only the files: directories in it would take over the image's /etc.
 */
async function tarOf(dir: string, files: readonly string[], user: string): Promise<Buffer> {
  const [uid = "0", gid = uid] = user.split(":");
  const { stdout } = await promisify(execFile)(
    "tar",
    [
      "-C",
      dir,
      "--numeric-owner",
      `--owner=${uid}`,
      `--group=${gid}`,
      "--no-recursion",
      "-cf",
      "-",
      ...files.map((f) => `.${f}`),
    ],
    { encoding: "buffer", maxBuffer: 64 * 2 ** 20 },
  );
  return stdout;
}

export interface PodmanStack {
  /** Creates, fills and starts one container of the specs. */
  start(spec: ContainerSpec): Promise<void>;
  /** Stops a container (SIGTERM, as `docker stop`), returning its exit code. */
  stop(spec: ContainerSpec): Promise<number>;
  /** Starts a stopped container again, as it is (files and volumes kept). */
  restart(spec: ContainerSpec): Promise<void>;
  /** Runs the container's declared health check once; true when it passes. */
  healthy(spec: ContainerSpec): Promise<boolean>;
  /** What a container printed, and its state, for failure messages. */
  logs(spec: ContainerSpec): Promise<string>;
  /** Removes the containers, volumes and network made here. */
  cleanup(): Promise<void>;
}

export async function podmanStack(
  stack: StackContainers,
  materials: Readonly<Partial<Record<MaterialName, string>>>,
): Promise<PodmanStack> {
  const scratch = await mkdtemp(join(tmpdir(), "mailstack-podman-"));
  const made: string[] = [];
  await podman(podmanNetworkArgs(stack));
  for (const args of podmanVolumeArgs(stack)) await podman(args);

  return {
    async start(spec) {
      await podman(["rm", "--force", "--ignore", spec.name]);
      await podman(podmanCreateArgs(stack, spec, { imageOf: (s) => `localhost/${s.image.tag}` }));
      made.push(spec.name);
      const dir = join(scratch, spec.server);
      for (const file of spec.files) {
        const path = join(dir, file.path);
        await mkdir(dirname(path), { recursive: true, mode: 0o755 });
        await writeFile(path, fillMaterials(file.text, materials));
        await chmod(path, Number.parseInt(file.mode, 8));
      }
      const files = spec.files.map((f) => f.path);
      await podman(["cp", "-", `${spec.name}:/`], await tarOf(dir, files, spec.user));
      await podman(["start", spec.name]);
    },
    async stop(spec) {
      await podman(["stop", "--time", "20", spec.name]);
      const code = await podman(["inspect", "--format", "{{.State.ExitCode}}", spec.name]);
      return Number(code.trim());
    },
    async restart(spec) {
      await podman(["start", spec.name]);
    },
    async healthy(spec) {
      return podman(["healthcheck", "run", spec.name]).then(
        () => true,
        () => false,
      );
    },
    async logs(spec) {
      const state = await podman([
        "inspect",
        "--format",
        "{{.State.Status}} {{.State.ExitCode}}",
        spec.name,
      ]).catch((e: Error) => e.message);
      const output = await podman(["logs", "--tail", "40", spec.name]).catch(
        (e: Error) => e.message,
      );
      return `${spec.name}: ${state.trim()}\n${output}`;
    },
    async cleanup() {
      for (const name of made.reverse()) await podman(["rm", "--force", "--ignore", name]);
      const volumes = [
        ...Object.values(stack.volumes),
        ...stack.containers.map((c) => c.configVolume.name),
      ];
      for (const name of volumes) {
        await podman(["volume", "rm", "--force", name]).catch(() => undefined);
      }
      await podman(["network", "rm", "--force", stack.network]).catch(() => undefined);
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
