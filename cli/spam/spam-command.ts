/**
 * `mailstack spam`: the spam filter's models for operators (servers/spam/README.md, "Seeding").
 *
 *   mailstack spam seed --from DIR [--force]   train the global models on DIR/spam and DIR/ham
 *   mailstack spam status [--json]             what the global and the users' models learned
 *
 * both with [--data-dir DIR | --config FILE]. The database is `<dataDir>/spam/spam.sqlite`;
 * both commands are safe while the spam service runs.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  readSeedCorpus,
  readSpamState,
  SeedError,
  seedDataDir,
  type SpamState,
} from "../../servers/spam/seed.ts";
import { dataDirOf, resolveConfig } from "../config-source.ts";

export const SPAM_USAGE = `Usage: mailstack spam seed --from DIR [--force] [--data-dir DIR | --config FILE]
       mailstack spam status [--json] [--data-dir DIR | --config FILE]`;

export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

export async function spamCommand(argv: readonly string[], io: Io = process): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      config: { type: "string" },
      "data-dir": { type: "string" },
      from: { type: "string" },
      force: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [action, ...extra] = positionals;
  const usage = (problem: string) => {
    io.stderr.write(`mailstack spam: ${problem}\n\n${SPAM_USAGE}\n`);
    return 64; // EX_USAGE
  };
  if (extra.length > 0) return usage(`unexpected ${extra.join(" ")}`);
  const dataDir =
    values["data-dir"] !== undefined
      ? resolve(values["data-dir"])
      : dataDirOf(await resolveConfig(values.config));

  try {
    switch (action) {
      case "seed": {
        if (values.from === undefined) return usage("seed needs --from DIR");
        const corpus = await readSeedCorpus(resolve(values.from));
        const seeded = seedDataDir(dataDir, corpus, { force: values.force });
        if (corpus.skipped.length > 0)
          io.stderr.write(
            `skipped ${corpus.skipped.length} files that are not messages (first: ${corpus.skipped[0]})\n`,
          );
        io.stdout.write(
          `seeded the global models with ${seeded.spam} spam and ${seeded.ham} ham (${dataDir})\n`,
        );
        return 0;
      }
      case "status": {
        const state = readSpamState(dataDir);
        io.stdout.write(
          values.json ? `${JSON.stringify(state, null, 2)}\n` : formatState(state, dataDir),
        );
        return 0;
      }
      case "help":
        io.stdout.write(`${SPAM_USAGE}\n`);
        return 0;
      case undefined:
        return usage("missing subcommand");
      default:
        return usage(`unknown subcommand "${action}"`);
    }
  } catch (error) {
    if (error instanceof SeedError) {
      io.stderr.write(`mailstack spam: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

export function formatState(state: SpamState, dataDir: string): string {
  const { global } = state;
  const lines = [
    `spam models in ${dataDir}`,
    `global: Bayes ${global.bayes.spam} spam / ${global.bayes.ham} ham; ` +
      `n-gram ${global.ngramVersion === null ? "not seeded" : `version ${global.ngramVersion}`}`,
  ];
  const users = Object.entries(state.users);
  if (users.length === 0) lines.push("users: none has taught the filter yet");
  for (const [user, s] of users)
    lines.push(`${user}: learned ${s.bayes.spam} spam / ${s.bayes.ham} ham, ${s.votes} votes`);
  return `${lines.join("\n")}\n`;
}
