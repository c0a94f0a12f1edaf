/**
 * The `mailstack` command. `npm start` is `mailstack start`.
 *
 *   mailstack start [--config FILE]          run the whole system locally
 *   mailstack status [--config FILE | --data-dir DIR] [--json]
 *   mailstack plan --stack ENV | --config FILE [--json] [--zone-dir DIR]
 *   mailstack queue list | show ID | retry ID|--all | delete ID   the MTA's queue (cli/queue)
 *   mailstack dkim rotate --stack ENV       the next step of a DKIM key rotation (cli/dkim)
 *   mailstack backup --out DIR | restore --from DIR [--force]     the data directory (cli/store)
 *   mailstack export | import --user ADDRESS --format maildir|mbox --out|--from DIR
 *   mailstack hash-password [--bcrypt] [--ldap]   read a password, print its hash
 */
import { parseArgs } from "node:util";
import { ConfigError } from "../servers/shared/config.ts";
import { dkimCommand } from "./dkim/dkim-command.ts";
import { hashPasswordCommand } from "./hash-password.ts";
import { planCommand } from "./plan/plan-command.ts";
import { queueCommand } from "./queue/queue-command.ts";
import { spamCommand } from "./spam/spam-command.ts";
import { startCommand } from "./start-command.ts";
import { isStoreCommand, storeCommand } from "./store/store-command.ts";
import { statusCommand } from "./status-command.ts";

export const USAGE = `Usage: mailstack <command> [options]

Commands:
  start [--config FILE]                   start every server locally (default: the embedded demo)
  status [--config FILE | --data-dir DIR] [--json]
                                          show the running servers, addresses, ports and health
  plan --stack ENV | --config FILE [--json] [--zone-dir DIR]
                                          what stacks/Pulumi.ENV.yaml declares, offline: DNS
                                          records as zone files, DKIM selectors and their states;
                                          with --config, a local run's zones with its DKIM keys
  queue list | show ID | retry ID|--all | delete ID [--data-dir DIR | --config FILE] [--json]
                                          the MTA's mail queue (safe while the MTA runs)
  backup --out DIR [--data-dir DIR | --config FILE] [--json]
                                          a consistent snapshot of every user's mail, the CA,
                                          DKIM keys, spam learning and queue (safe while running)
  restore --from DIR [--data-dir DIR | --config FILE] [--force] [--no-queue] [--json]
                                          bring a backup back (mailstack stopped; --force to
                                          replace mail or keys the data directory already has)
  export --user ADDRESS --format maildir|mbox --out DIR [--data-dir DIR | --config FILE] [--json]
                                          one user's mail as a Maildir++ tree or mbox files
  import --user ADDRESS --format maildir|mbox --from DIR [--data-dir DIR | --config FILE] [--json]
                                          add a Maildir++ tree or mbox files to a user's mail
  spam seed --from DIR [--force] | status [--json] [--data-dir DIR | --config FILE]
                                          seed the spam filter's global models from DIR/spam
                                          and DIR/ham; what its models have learned
  hash-password [--bcrypt] [--ldap]       read a password on stdin and print its hash
                                          (argon2id by default; --ldap adds the {ARGON2}/{CRYPT} prefix)
  help                                    show this text`;

async function main(argv: string[]): Promise<number> {
  const [command = "help", ...rest] = argv;
  if (command === "dkim") return dkimCommand(rest); // parses its own options (cli/dkim)
  if (command === "queue") return queueCommand(rest); // parses its own options (cli/queue)
  if (isStoreCommand(command)) return storeCommand(command, rest); // (cli/store)
  if (command === "spam") return spamCommand(rest); // parses its own options (cli/spam)
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: "string" },
      "data-dir": { type: "string" },
      json: { type: "boolean", default: false },
      bcrypt: { type: "boolean", default: false },
      ldap: { type: "boolean", default: false },
      stack: { type: "string" },
      "zone-dir": { type: "string" },
    },
    strict: true,
  });
  switch (command) {
    case "start":
      return startCommand({ configPath: values.config });
    case "status":
      return statusCommand({
        configPath: values.config,
        dataDir: values["data-dir"],
        json: values.json,
      });
    case "plan":
      return planCommand({
        stack: values.stack,
        config: values.config,
        json: values.json,
        zoneDir: values["zone-dir"],
      });
    case "hash-password":
      return hashPasswordCommand({
        algorithm: values.bcrypt ? "bcrypt" : "argon2id",
        ldap: values.ldap,
      });
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`mailstack: unknown command "${command}"\n\n${USAGE}\n`);
      return 64; // EX_USAGE
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`mailstack: bad config\n${error.message}\n`);
      process.exitCode = 78; // EX_CONFIG
    } else if (
      error instanceof TypeError &&
      "code" in error &&
      String(error.code).startsWith("ERR_PARSE_ARGS")
    ) {
      process.stderr.write(`mailstack: ${error.message}\n\n${USAGE}\n`);
      process.exitCode = 64;
    } else {
      process.stderr.write(
        `mailstack: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  },
);
