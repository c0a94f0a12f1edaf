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

/**
 * What to do with Pulumi secrets (`key: { secure: v1:... }`), which only the Pulumi engine can
 * decrypt: `placeholder` stands in a marker (for `mailstack plan`, whose output holds no secret),
 * `refuse` fails with the key's path (the local runner needs the real value).
 */
export type SecretHandling = "placeholder" | "refuse";

export const SECRET_PLACEHOLDER = "[secret]";

/** Parses already-read stack YAML text; `source` names the file in errors. */
export function parseStackYaml(
  text: string,
  source: string,
  secrets: SecretHandling = "refuse",
): StackConfig {
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
  const problems: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!key.startsWith(`${NAMESPACE}:`)) continue;
    ours[key.slice(NAMESPACE.length + 1)] = replaceSecrets(value, key, (path) => {
      if (secrets === "placeholder") return SECRET_PLACEHOLDER;
      problems.push(
        `${path}: is a Pulumi secret, which only pulumi can decrypt; for a local run give the value in a separate file (for users: passwordHash)`,
      );
      return undefined;
    });
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  return parseStackConfig(ours, source);
}

/** Parses the `mailstack:` keys (without their prefix). */
export function parseStackConfig(input: unknown, source: string): StackConfig {
  return parseConfig(stackConfigSchema, input, { source, keyPrefix: `${NAMESPACE}:` });
}

export async function loadStackFile(
  path: string,
  secrets: SecretHandling = "refuse",
): Promise<StackConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(path, [
      `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    ]);
  }
  return parseStackYaml(text, path, secrets);
}

function replaceSecrets(
  value: unknown,
  path: string,
  onSecret: (path: string) => unknown,
): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    return value.map((item, i) => replaceSecrets(item, `${path}[${i}]`, onSecret));
  }
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]?.[0] === "secure" && typeof entries[0][1] === "string") {
    return onSecret(path);
  }
  return Object.fromEntries(
    entries.map(([k, v]) => [k, replaceSecrets(v, `${path}.${k}`, onSecret)]),
  );
}
