/**
 * `mailstack backup | restore | export | import`: the mail store for operators. cli/main.ts
 * hands over everything after the command name; each command parses its own options, and a
 * CommandError becomes one line on stderr and its exit code (store-options.ts).
 */
import { BACKUP_USAGE, backupCommand } from "./backup-command.ts";
import { RESTORE_USAGE, restoreCommand } from "./restore-command.ts";
import { CommandError, EXIT, type Io } from "./store-options.ts";
import { EXPORT_USAGE, IMPORT_USAGE, exportCommand, importCommand } from "./transfer-command.ts";

const COMMANDS = {
  backup: { usage: BACKUP_USAGE, run: backupCommand },
  restore: { usage: RESTORE_USAGE, run: restoreCommand },
  export: { usage: EXPORT_USAGE, run: exportCommand },
  import: { usage: IMPORT_USAGE, run: importCommand },
} as const;

export type StoreCommandName = keyof typeof COMMANDS;

export function isStoreCommand(name: string): name is StoreCommandName {
  return Object.hasOwn(COMMANDS, name);
}

export async function storeCommand(
  name: StoreCommandName,
  argv: readonly string[],
  io: Io = process,
): Promise<number> {
  const command = COMMANDS[name];
  if (argv.some((a) => a === "--help" || a === "-h")) {
    io.stdout.write(`${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(argv, io);
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    const usage = error.exitCode === EXIT.usage ? `\n\n${command.usage}` : "";
    io.stderr.write(`mailstack ${name}: ${error.message}${usage}\n`);
    return error.exitCode;
  }
}
