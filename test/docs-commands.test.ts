/**
 * The `mailstack` commands written in the README and docs/ exist, with the options written:
 * every `npm run mailstack -- ...` and `npx tsx cli/main.ts ...` in a shell block is checked
 * against the usage the command itself prints. (The README's first minutes are also run as
 * written: test/readme.test.ts.)
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { before, describe, it } from "node:test";
import { promisify } from "node:util";

const ROOT = resolve(import.meta.dirname, "..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "cli/main.ts");

/** What `mailstack <args>` prints, stdout and stderr, whatever its exit status. */
async function printed(args: readonly string[]): Promise<string> {
  try {
    const { stdout, stderr } = await promisify(execFile)(TSX, [CLI, ...args]);
    return stdout + stderr;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    return stdout + stderr;
  }
}

export interface Invocation {
  readonly file: string;
  readonly text: string;
  readonly words: readonly string[];
}

/** The mailstack invocations in the shell blocks of one markdown text. */
export function invocations(file: string, markdown: string): Invocation[] {
  const found: Invocation[] = [];
  for (const [, body = ""] of markdown.matchAll(/^ *```sh[^\n]*\n([^]*?)^ *```$/gm)) {
    const lines = body.replace(/\\\n\s*/g, " ").split("\n");
    for (const line of lines) {
      for (const [, rest = ""] of line.matchAll(/(?:mailstack --|cli\/main\.ts) ([^|>#;&]*)/g)) {
        found.push({ file, text: rest.trim(), words: rest.trim().split(/\s+/) });
      }
    }
  }
  return found;
}

/** The lines of `mailstack help` about `command`: its own line and those indented below it. */
function sectionOf(usage: string, command: string): string | undefined {
  const lines = usage.split("\n");
  const start = lines.findIndex((l) => new RegExp(`^  ${command}(\\s|$)`).test(l));
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && !/^   /.test(l));
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

/** What is wrong with each invocation: an unknown command, or an option its usage lacks. */
export function problemsOf(
  found: readonly Invocation[],
  usage: string,
  ownUsage: Readonly<Record<string, string>>,
): string[] {
  const problems: string[] = [];
  for (const { file, text, words } of found) {
    const [command = ""] = words;
    const section = ownUsage[command] ?? sectionOf(usage, command);
    if (section === undefined) {
      problems.push(`${file}: mailstack ${text}: no command "${command}" in mailstack help`);
      continue;
    }
    for (const option of words.filter((w) => w.startsWith("--"))) {
      const name = option.split("=")[0] ?? option;
      if (!new RegExp(`${name}(?![\\w-])`).test(section)) {
        problems.push(`${file}: mailstack ${text}: ${name} is not an option of ${command}`);
      }
    }
  }
  return problems;
}

describe("mailstack commands in the README and docs/", () => {
  let usage = "";
  const ownUsage: Record<string, string> = {};
  const all: Invocation[] = [];

  before(async () => {
    usage = await printed(["help"]);
    for (const command of ["queue", "dkim", "spam"]) {
      ownUsage[command] = await printed([command, "help"]);
    }
    const docs = (await readdir(join(ROOT, "docs"))).filter((f) => f.endsWith(".md"));
    for (const file of ["README.md", ...docs.map((f) => `docs/${f}`)]) {
      all.push(...invocations(file, await readFile(join(ROOT, file), "utf8")));
    }
  });

  it("finds the commands the pages give", () => {
    const commands = new Set(all.map((i) => i.words[0]));
    for (const c of [
      "start",
      "status",
      "plan",
      "backup",
      "restore",
      "queue",
      "dkim",
      "hash-password",
    ]) {
      assert.ok(commands.has(c), `no ${c} in README.md or docs/`);
    }
  });

  it("each names a command of `mailstack help` and only options its usage lists", () => {
    assert.deepEqual(problemsOf(all, usage, ownUsage), []);
  });

  it("reports a misspelt option and an unknown command", () => {
    const fake = invocations(
      "x.md",
      "```sh\nnpm run mailstack -- plan --stak prod\nnpx tsx cli/main.ts deploy --now\n```\n",
    );
    assert.deepEqual(problemsOf(fake, usage, ownUsage), [
      "x.md: mailstack plan --stak prod: --stak is not an option of plan",
      'x.md: mailstack deploy --now: no command "deploy" in mailstack help',
    ]);
  });
});
