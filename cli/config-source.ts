/** Which stack config a command runs with: a file given with --config, or the embedded default. */
import { dirname, resolve } from "node:path";
import { EMBEDDED_SOURCE, embeddedConfig } from "../stacks/embedded.ts";
import { loadStackFile } from "../stacks/load.ts";
import type { StackConfig } from "../stacks/schema.ts";

export interface ConfigSource {
  readonly config: StackConfig;
  readonly source: string;
  /** Relative paths in the config are taken from here. */
  readonly baseDir: string;
}

export async function resolveConfig(configPath: string | undefined): Promise<ConfigSource> {
  if (configPath === undefined) {
    return { config: embeddedConfig(), source: EMBEDDED_SOURCE, baseDir: process.cwd() };
  }
  const path = resolve(configPath);
  return { config: await loadStackFile(path), source: configPath, baseDir: dirname(path) };
}

export function dataDirOf(source: ConfigSource): string {
  return resolve(source.baseDir, source.config.local.dataDir);
}
