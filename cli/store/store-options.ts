/**
 * What `mailstack backup`, `restore`, `export` and `import` share: their exit codes, the error
 * that carries one, option parsing that turns a bad option into a usage error, and where the
 * data directory is (`--data-dir DIR`, or the `local.dataDir` of `--config FILE` or of the
 * embedded default, as `mailstack status` and `queue` find it).
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { dataDirOf, resolveConfig, type ConfigSource } from "../config-source.ts";

/** Exit codes, from sysexits(3) so scripts can tell the cases apart. */
export const EXIT = {
  ok: 0,
  /** Failed for the reason printed (over quota, an I/O error). */
  failed: 1,
  /** EX_USAGE: a missing, unknown or malformed option. */
  usage: 64,
  /** EX_DATAERR: the backup or import source is damaged or not what was asked for. */
  dataErr: 65,
  /** EX_NOINPUT: the data directory, backup or source does not exist. */
  noInput: 66,
  /** EX_NOUSER: the directory has no such user and no mail is stored under that id. */
  noUser: 67,
  /** EX_UNAVAILABLE: the directory (LDAP) does not answer. */
  unavailable: 69,
  /** EX_CANTCREAT: the output is not empty, or a restore would replace data without --force. */
  cantCreate: 73,
  /** EX_TEMPFAIL: the system runs on this data directory; stop it and try again. */
  tempFail: 75,
} as const;

/** A failure the command reports in one message and an exit code; no stack trace. */
export class CommandError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = "CommandError";
  }
}

export const usageError = (message: string): CommandError => new CommandError(EXIT.usage, message);

export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

type OptionSpec = Record<string, { type: "string" } | { type: "boolean" }>;

/** Where every one of these commands finds the data directory. */
export const LOCATION_OPTIONS = {
  config: { type: "string" },
  "data-dir": { type: "string" },
  json: { type: "boolean" },
} as const satisfies OptionSpec;

/** parseArgs, strict, no positionals; its errors become usage errors naming the option. */
export function parseOptions<T extends OptionSpec>(
  argv: readonly string[],
  options: T,
): ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>["values"] {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

/** A string option that must be given and not be empty. */
export function required(value: string | undefined, option: string, what: string): string {
  if (value === undefined || value === "") throw usageError(`${option} ${what} is required`);
  return value;
}

export interface Location {
  readonly dataDir: string;
  /** The stack config, unless --data-dir was given (then only the directory is known). */
  readonly config: ConfigSource | undefined;
}

export async function locate(values: { config?: string; "data-dir"?: string }): Promise<Location> {
  const dataDir = values["data-dir"];
  if (dataDir !== undefined && values.config !== undefined) {
    throw usageError("give --data-dir DIR or --config FILE, not both");
  }
  if (dataDir !== undefined) {
    return { dataDir: resolve(required(dataDir, "--data-dir", "DIR")), config: undefined };
  }
  if (values.config === "") throw usageError("--config FILE is empty");
  const config = await resolveConfig(values.config);
  return { dataDir: dataDirOf(config), config };
}
