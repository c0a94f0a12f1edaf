/**
 * `mailstack dkim rotate --stack <env> [--domain D] [--algorithm rsa2048|ed25519]`: makes the next
 * safe edit of a DKIM rotation in `stacks/Pulumi.<env>.yaml` (publish a pending selector, switch
 * signing to it, remove the retired one; components/dkim/transitions.ts) through `pulumi config`,
 * and says what changed and what comes next. It never runs `pulumi up`: between steps one waits
 * for DNS, and the RotationGuard checks each step against what was really deployed.
 *
 * Decisions:
 * - `--domain` may be left out only when the stack has one domain: rotating several domains in
 *   lockstep would hide that each is at its own step.
 * - `--algorithm` may be left out when the domain's selectors use one algorithm (rsa2048 for a
 *   domain with none); with both, say which key to rotate.
 * - One `pulumi config set-all --path` (or `rm-all --path`) per step, not one `set` per field:
 *   Pulumi writes the stack file once, so a failure leaves it as it was, never half-edited.
 *   Keys are paths like `mailstack:domains[0].dkim[2].state`; index = length appends.
 * - The project is the nearest directory from the working directory up that holds Pulumi.yaml
 *   (its `stackConfigDir` says where stack files are), else the one this program belongs to.
 *   `pulumi` runs there, where it finds the project and the stack file.
 */
import { access, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { execa, ExecaError } from "execa";
import { parse as parseYaml } from "yaml";
import {
  dkimTransitionProblems,
  nextRotationStep,
  type RotationStep,
  type SelectorEdit,
} from "../../components/dkim/transitions.ts";
import type { DkimAlgorithm } from "../../components/dkim/public-key.ts";
import { loadStackFile, NAMESPACE } from "../../stacks/load.ts";
import type { DkimSelector } from "../../stacks/schema/dkim.ts";

export interface RotateOptions {
  /** The stack (environment): `stacks/Pulumi.<stack>.yaml`. */
  readonly stack: string;
  /** The domain to rotate; required when the stack has several. */
  readonly domain?: string;
  /** The algorithm whose key to rotate; required when the domain signs with both. */
  readonly algorithm?: DkimAlgorithm;
  /** Where to look for the project (Pulumi.yaml) from; default the working directory. */
  readonly cwd?: string;
  /** The environment `pulumi` runs with, over process.env; tests put a fake `pulumi` on PATH. */
  readonly env?: Readonly<Record<string, string>>;
  /** The date new selector names come from; default now. */
  readonly now?: Date;
  /** Where the report goes; default stdout. */
  readonly write?: (text: string) => void;
  /** Where errors go; default stderr. */
  readonly writeError?: (text: string) => void;
}

/** The project this program belongs to: the fallback when the working directory has none. */
const OWN_PROJECT = resolve(import.meta.dirname, "../..");

export async function rotateCommand(options: RotateOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const cwd = options.cwd ?? process.cwd();
  const writeError = options.writeError ?? ((text: string) => process.stderr.write(text));
  const fail = (message: string, code = 64) => {
    writeError(`mailstack dkim rotate: ${message}\n`);
    return code;
  };

  const project = await findProject(cwd);
  const file = join(project.root, project.stackConfigDir, `Pulumi.${options.stack}.yaml`);
  const shown = relative(cwd, file) || file;
  const config = await loadStackFile(file);

  let index = 0;
  if (options.domain !== undefined) {
    index = config.domains.findIndex((d) => d.name === options.domain?.toLowerCase());
    if (index < 0) {
      return fail(`${options.domain} is not a domain of ${shown} (${names(config.domains)})`);
    }
  } else if (config.domains.length > 1) {
    return fail(`${shown} has several domains (${names(config.domains)}): say which with --domain`);
  }
  const domain = config.domains[index];
  if (domain === undefined) return fail(`${shown} has no domain`);

  const algorithms = [...new Set(domain.dkim.map((s) => s.algorithm))];
  const algorithm =
    options.algorithm ?? (algorithms.length <= 1 ? (algorithms[0] ?? "rsa2048") : undefined);
  if (algorithm === undefined) {
    return fail(
      `${domain.name} signs with ${algorithms.join(" and ")}: say which key to rotate with --algorithm`,
    );
  }

  let step: RotationStep;
  try {
    step = nextRotationStep(domain.dkim, algorithm, {
      domain: domain.name,
      ttl: config.dns.ttl,
      now: options.now ?? new Date(),
    });
  } catch (error) {
    return fail(`${domain.name}: ${(error as Error).message}`, 1);
  }
  // The step is safe by construction; checking it here keeps the CLI honest if that changes.
  const problems = dkimTransitionProblems(
    domain.name,
    `${NAMESPACE}:domains[${index}].dkim`,
    domain.dkim,
    step.selectors,
  );
  if (problems.length > 0) return fail(problems.map((p) => p.message).join("\n"), 70);

  const commands = pulumiConfigCommands(options.stack, index, step.edits);
  for (const [i, args] of commands.entries()) {
    try {
      await execa("pulumi", args, { cwd: project.root, env: options.env, stdin: "ignore" });
    } catch (error) {
      const detail = !(error instanceof ExecaError)
        ? String(error)
        : error.code === "ENOENT"
          ? "the pulumi command was not found: install the Pulumi CLI"
          : error.stderr || error.shortMessage;
      // Each command writes the file once or not at all, so only earlier commands took effect.
      const state = i === 0 ? "is unchanged" : "has the edits of the commands before it";
      return fail(
        `pulumi ${args.slice(0, 2).join(" ")} failed, ${shown} ${state}:\n${detail.trim()}`,
        1,
      );
    }
  }

  // Read the file back: what pulumi wrote must be exactly the step.
  const after = (await loadStackFile(file)).domains[index]?.dkim ?? [];
  const brief = (list: readonly DkimSelector[]) =>
    list.map((s) => `${s.selector}:${s.algorithm}:${s.state}`).join(" ");
  if (brief(after) !== brief(step.selectors)) {
    return fail(
      `after pulumi config, ${shown} lists ${brief(after) || "no selector"} for ${domain.name}, not ${brief(step.selectors)}; check the file`,
      1,
    );
  }

  write(
    `${domain.name} (${shown}): ${step.summary}\n` +
      commands.map((args) => `  ran: pulumi ${args.map(quote).join(" ")}\n`).join("") +
      `Next: ${step.nextStep}\n`,
  );
  return 0;
}

/**
 * The `pulumi` argument lists that make `edits` to domain `domainIndex`'s selectors: the sets
 * first (they address the old list, and additions go at its end), then the removals from the
 * highest index down, so each index still points at the selector it names.
 */
export function pulumiConfigCommands(
  stack: string,
  domainIndex: number,
  edits: readonly SelectorEdit[],
): string[][] {
  const key = (i: number) => `${NAMESPACE}:domains[${domainIndex}].dkim[${i}]`;
  const sets = edits.flatMap((e) => {
    if (e.kind === "add") {
      const s = e.selector;
      return [
        `${key(e.index)}.selector=${s.selector}`,
        `${key(e.index)}.algorithm=${s.algorithm}`,
        `${key(e.index)}.state=${s.state}`,
      ];
    }
    return e.kind === "set-state" ? [`${key(e.index)}.state=${e.to}`] : [];
  });
  const removals = edits
    .flatMap((e) => (e.kind === "remove" ? [e.index] : []))
    .sort((a, b) => b - a)
    .map(key);
  const commands: string[][] = [];
  if (sets.length > 0) {
    commands.push([
      "config",
      "set-all",
      "--stack",
      stack,
      "--path",
      ...sets.flatMap((kv) => ["--plaintext", kv]),
    ]);
  }
  if (removals.length > 0)
    commands.push(["config", "rm-all", "--stack", stack, "--path", ...removals]);
  return commands;
}

/** The nearest Pulumi.yaml from `cwd` up, else this program's own project. */
async function findProject(cwd: string): Promise<{ root: string; stackConfigDir: string }> {
  let dir = resolve(cwd);
  for (;;) {
    const file = join(dir, "Pulumi.yaml");
    if (await exists(file)) {
      const project = parseYaml(await readFile(file, "utf8")) as {
        stackConfigDir?: unknown;
      } | null;
      const configDir = project?.stackConfigDir;
      return { root: dir, stackConfigDir: typeof configDir === "string" ? configDir : "." };
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return cwd === OWN_PROJECT
    ? { root: OWN_PROJECT, stackConfigDir: "stacks" }
    : findProject(OWN_PROJECT);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function names(domains: readonly { name: string }[]): string {
  return domains.map((d) => d.name).join(", ");
}

/** Shell quoting for the printed commands, so they can be pasted (keys hold `[` and `]`). */
function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
