/**
 * Config is parsed once at each boundary and frozen. A bad value fails before anything starts,
 * with the source, the path of the bad key and what was expected, one line per problem:
 *
 *   stacks/Pulumi.dev.yaml: mailstack:users[1].address: expected an email address, got "bob"
 */
import type { z } from "zod";

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(problems.map((p) => `${source}: ${p}`).join("\n"));
    this.name = "ConfigError";
  }
}

export interface ParseOptions {
  /** Where the config came from, named in every error (a file path, "environment", ...). */
  readonly source: string;
  /** Written before each key path, e.g. "mailstack:" for the Pulumi config namespace. */
  readonly keyPrefix?: string;
}

/** Parses `input` with `schema`, or throws a ConfigError naming every bad key. */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  input: unknown,
  options: ParseOptions,
): Readonly<z.output<S>> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) =>
        `${formatPath(issue.path, options.keyPrefix ?? "")}: ${describeIssue(issue, input)}`,
    );
    throw new ConfigError(options.source, problems);
  }
  return deepFreeze(result.data);
}

export function formatPath(path: readonly PropertyKey[], prefix = ""): string {
  if (path.length === 0) return prefix.replace(/[:.]$/, "") || "(top level)";
  let out = prefix;
  for (const [i, key] of path.entries()) {
    if (typeof key === "number") out += `[${key}]`;
    else out += i === 0 ? String(key) : `.${String(key)}`;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} (check the spelling)`;
  }
  const got = valueAt(input, issue.path);
  const last = issue.path.at(-1);
  if (typeof last === "string" && SECRET_KEY.test(last)) return issue.message;
  if (got.found && (typeof got.value !== "string" || !issue.message.includes(got.value))) {
    return `${issue.message}, got ${preview(got.value)}`;
  }
  return issue.message;
}

/** Values of keys like these are never repeated in an error: they may be secrets. */
const SECRET_KEY = /password|secret|token|private|key$/i;

function valueAt(
  input: unknown,
  path: readonly PropertyKey[],
): { found: boolean; value?: unknown } {
  let node: unknown = input;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !(key in node)) return { found: false };
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: node };
}

function preview(value: unknown): string {
  if (value === undefined) return "nothing";
  // JSON.stringify returns undefined only for functions and symbols, which YAML cannot produce.
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
