/**
 * The stack config inside the Pulumi program: every `mailstack:` key of the running stack, parsed
 * with the same schema as the files, so errors name `stacks/Pulumi.<stack>.yaml` and the key path.
 *
 * The engine hands config over as strings: objects and arrays as JSON text, scalars as their text
 * (secrets already decrypted). Only `hostname` is a top-level scalar in our schema.
 */
import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE, parseStackConfig } from "./load.ts";
import type { StackConfig } from "./schema.ts";

export function stackFileName(stack: string): string {
  return `stacks/Pulumi.${stack}.yaml`;
}

/** Turns the engine's `namespace:key -> text` map into the `mailstack:` object. */
export function mailstackKeys(all: Readonly<Record<string, string>>): Record<string, unknown> {
  const ours: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(all)) {
    if (!key.startsWith(`${NAMESPACE}:`)) continue;
    const trimmed = text.trimStart();
    ours[key.slice(NAMESPACE.length + 1)] =
      trimmed.startsWith("{") || trimmed.startsWith("[") ? (JSON.parse(text) as unknown) : text;
  }
  return ours;
}

export function readStackConfig(): StackConfig {
  return parseStackConfig(
    mailstackKeys(pulumi.runtime.allConfig()),
    stackFileName(pulumi.getStack()),
  );
}
