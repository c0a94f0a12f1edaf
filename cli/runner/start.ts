/**
 * The local runner: everything `npm start` does between reading the config and printing the
 * banner. Prepares the data directory (local CA, server certificate, directory file), starts each
 * server as a process, and writes the status file once all of them listen.
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { certificateNames } from "../../components/tls/certificate-names.ts";
import { writeFileAtomic } from "../../servers/shared/fs/atomic-write.ts";
import { ensureLocalCa, issueServerCertificate } from "../../servers/shared/tls/local-ca.ts";
import type { StackConfig } from "../../stacks/schema.ts";
import { writeDirectoryFile, type GeneratedPassword } from "./directory-file.ts";
import { SERVERS, type RunContext, type ServerPlan } from "./servers.ts";
import { removeStatus, writeStatus, type RunnerStatus } from "./status-file.ts";
import { Supervisor } from "./supervisor.ts";

/**
 * The names of the local certificate: the stack's own (the host name, and per domain
 * mta-sts.<domain>, autoconfig.<domain>, autodiscover.<domain>, which clients fetch over HTTPS
 * from the webmail), then `localhost` and the bare domains.
 */
export function localCertificateNames(config: StackConfig): string[] {
  const domains = config.domains.map((d) => d.name);
  return [...new Set([...certificateNames(config.hostname, domains), "localhost", ...domains])];
}

export interface RunnerOptions {
  readonly config: StackConfig;
  /** Named in messages: the config file, or "the embedded default". */
  readonly source: string;
  /** Relative data directories are taken from here (the config file's folder, or the cwd). */
  readonly baseDir: string;
  /** The servers to start; default every server that exists. */
  readonly servers?: readonly ServerPlan[];
  /** Receives each line a server prints, prefixed by the runner. */
  readonly onOutput?: (server: string, line: string) => void;
  readonly onCrash?: (server: string, detail: string) => void;
}

export interface Runner {
  readonly dataDir: string;
  readonly caFile: string;
  readonly generatedPasswords: readonly GeneratedPassword[];
  status(): RunnerStatus;
  stop(): Promise<void>;
}

export async function startRunner(options: RunnerOptions): Promise<Runner> {
  const { config } = options;
  const dataDir = resolve(options.baseDir, config.local.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const ca = await ensureLocalCa(join(dataDir, "ca"));
  const certificate = await issueServerCertificate(ca, {
    dnsNames: localCertificateNames(config),
    ipAddresses: [config.local.listen],
    dir: join(dataDir, "tls"),
    name: "server",
  });

  let generatedPasswords: readonly GeneratedPassword[] = [];
  let directory: RunContext["directory"];
  if (config.directory.backend === "file") {
    const file = await writeDirectoryFile(config, dataDir);
    generatedPasswords = file.generated;
    directory = { backend: "file", path: file.path };
  } else {
    directory = { ...config.directory };
  }

  const context: RunContext = {
    config,
    dataDir,
    tls: { certPath: certificate.certPath, keyPath: certificate.keyPath, caPath: ca.caCertPath },
    directory,
  };
  const plans = options.servers ?? SERVERS;
  await mkdir(join(dataDir, "run"), { recursive: true, mode: 0o700 });
  for (const plan of plans) await plan.prepare?.(context);
  const specs = await Promise.all(
    plans.map(async (plan) => {
      const configPath = join(dataDir, "run", `${plan.name}.json`);
      await writeFileAtomic(configPath, JSON.stringify(plan.runtimeConfig(context), null, 2), {
        mode: 0o600,
      });
      return { name: plan.name, entry: plan.entry, configPath };
    }),
  );

  const supervisor = new Supervisor();
  const startedAt = new Date().toISOString();
  const status = (): RunnerStatus => ({
    runner: { pid: process.pid, startedAt, config: options.source },
    caFile: ca.caCertPath,
    servers: supervisor.states(),
    updatedAt: new Date().toISOString(),
  });
  const saveStatus = () =>
    writeStatus(dataDir, status()).catch((error: unknown) =>
      options.onCrash?.("runner", `could not write the status file: ${String(error)}`),
    );

  supervisor.on("output", (name, line) => options.onOutput?.(name, line));
  supervisor.on("crash", (name, code, signal, giveUp) => {
    const how = signal ?? `exit code ${code}`;
    options.onCrash?.(
      name,
      giveUp ? `died (${how}); restarted too often, giving up` : `died (${how}); restarting`,
    );
    void saveStatus();
  });

  try {
    await supervisor.start(specs);
  } catch (error) {
    await supervisor.stop();
    throw error;
  }
  await saveStatus();
  supervisor.on("ready", () => void saveStatus());

  return {
    dataDir,
    caFile: ca.caCertPath,
    generatedPasswords,
    status,
    async stop() {
      await supervisor.stop();
      await removeStatus(dataDir);
    },
  };
}
