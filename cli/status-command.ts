/** `mailstack status`: what runs, where, and whether it answers. */
import { resolve } from "node:path";
import { dataDirOf, resolveConfig } from "./config-source.ts";
import { isProcessAlive, probe, readStatus } from "./runner/status-file.ts";

export interface StatusReport {
  readonly running: boolean;
  readonly dataDir: string;
  readonly runner?: { readonly pid: number; readonly startedAt: string; readonly config: string };
  readonly caFile?: string;
  readonly servers: readonly {
    readonly name: string;
    readonly pid: number | undefined;
    readonly state: string;
    readonly restarts: number;
    readonly endpoints: readonly {
      readonly name: string;
      readonly host: string;
      readonly port: number;
      readonly tls: string;
      readonly health: "up" | "down";
    }[];
  }[];
}

export async function collectStatus(dataDir: string): Promise<StatusReport> {
  const status = await readStatus(dataDir);
  if (!status || !isProcessAlive(status.runner.pid)) {
    return { running: false, dataDir, servers: [] };
  }
  const servers = await Promise.all(
    status.servers.map(async (s) => ({
      name: s.name,
      pid: s.pid,
      state: s.state,
      restarts: s.restarts,
      endpoints: await Promise.all(
        s.endpoints.map(async (e) => ({
          ...e,
          health: (await probe(e.host, e.port)) ? ("up" as const) : ("down" as const),
        })),
      ),
    })),
  );
  return { running: true, dataDir, runner: status.runner, caFile: status.caFile, servers };
}

export async function statusCommand(options: {
  configPath: string | undefined;
  dataDir: string | undefined;
  json: boolean;
}): Promise<number> {
  const dataDir =
    options.dataDir === undefined
      ? dataDirOf(await resolveConfig(options.configPath))
      : resolve(options.dataDir);
  const report = await collectStatus(dataDir);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else if (!report.running) {
    process.stdout.write(`mailstack is not running (data directory ${dataDir}).\n`);
  } else {
    const lines = [
      `mailstack is running: runner pid ${report.runner?.pid}, started ${report.runner?.startedAt}, config ${report.runner?.config}`,
      `CA file: ${report.caFile}`,
    ];
    if (report.servers.length === 0) lines.push("No servers.");
    for (const s of report.servers) {
      lines.push(`${s.name}  ${s.state}  pid ${s.pid ?? "-"}  restarts ${s.restarts}`);
      for (const e of s.endpoints) {
        lines.push(`  ${e.name.padEnd(12)} ${e.host}:${e.port}  ${e.tls.padEnd(8)} ${e.health}`);
      }
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  const healthy =
    report.running && report.servers.every((s) => s.endpoints.every((e) => e.health === "up"));
  return healthy ? 0 : 3;
}
