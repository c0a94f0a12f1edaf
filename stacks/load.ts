/**
 * Reads a stack config file: Pulumi's stack YAML (`config:` with namespaced keys). The
 * `mailstack:` keys are parsed with the stack schema; other namespaces (`cloudflare:`, `docker:`)
 * belong to their providers and are left alone.
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { ConfigError, parseConfig } from "../servers/shared/config.ts";
import { stackConfigSchema, type StackConfig } from "./schema.ts";

export const NAMESPACE = "mailstack";

/** Parses already-read stack YAML text; `source` names the file in errors. */
export function parseStackYaml(text: string, source: string): StackConfig {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(source, [`not valid YAML: ${(error as Error).message.split("\n")[0]}`]);
  }
  if (document === null || typeof document !== "object" || !("config" in document)) {
    throw new ConfigError(source, ["expected a Pulumi stack file with a top-level `config:` map"]);
  }
  const config = document.config;
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new ConfigError(source, ["config: expected a map of `namespace:key` entries"]);
  }
  const ours: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith(`${NAMESPACE}:`)) ours[key.slice(NAMESPACE.length + 1)] = value;
  }
  return parseStackConfig(ours, source);
}

/** Parses the `mailstack:` keys (without their prefix). */
export function parseStackConfig(input: unknown, source: string): StackConfig {
  return parseConfig(stackConfigSchema, input, { source, keyPrefix: `${NAMESPACE}:` });
}

export async function loadStackFile(path: string): Promise<StackConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(path, [
      `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    ]);
  }
  return parseStackYaml(text, path);
}
