/**
 * `mailstack dkim <subcommand>`: DKIM key management. It parses its own arguments (cli/main.ts
 * hands over everything after `dkim`), so its options stay out of the other commands' way.
 */
import { parseArgs } from "node:util";
import { DKIM_ALGORITHMS } from "../../stacks/schema/dkim.ts";
import { rotateCommand, type RotateOptions } from "./rotate.ts";

export const DKIM_USAGE = `Usage: mailstack dkim rotate --stack ENV [--domain DOMAIN] [--algorithm rsa2048|ed25519]

  Makes the next safe edit of a DKIM key rotation in stacks/Pulumi.ENV.yaml, through
  \`pulumi config\`: publish a new pending selector, then (after \`pulumi up\` and waiting for DNS)
  make it sign and retire the old one, then (days later) remove the old one. Run \`pulumi up\`
  after each step.

  --domain      required when the stack has several domains
  --algorithm   required when the domain signs with both RSA and Ed25519`;

/** Runs `mailstack dkim ...`; `overrides` lets tests choose the directory, environment and date. */
export async function dkimCommand(
  argv: readonly string[],
  overrides: Omit<RotateOptions, "stack" | "domain" | "algorithm"> = {},
): Promise<number> {
  const usage = (problem: string) => {
    const writeError = overrides.writeError ?? ((text: string) => process.stderr.write(text));
    writeError(`mailstack dkim: ${problem}\n\n${DKIM_USAGE}\n`);
    return 64; // EX_USAGE
  };
  const [subcommand, ...rest] = argv;
  if (subcommand === "help" || subcommand === "--help" || subcommand === "-h") {
    process.stdout.write(`${DKIM_USAGE}\n`);
    return 0;
  }
  if (subcommand !== "rotate") {
    return usage(
      subcommand === undefined ? "which subcommand?" : `unknown subcommand "${subcommand}"`,
    );
  }
  let values: { stack?: string; domain?: string; algorithm?: string };
  try {
    ({ values } = parseArgs({
      args: [...rest],
      options: {
        stack: { type: "string" },
        domain: { type: "string" },
        algorithm: { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  if (values.stack === undefined) return usage("--stack ENV is required (stacks/Pulumi.ENV.yaml)");
  const algorithm = DKIM_ALGORITHMS.find((a) => a === values.algorithm);
  if (values.algorithm !== undefined && algorithm === undefined) {
    return usage(`--algorithm must be ${DKIM_ALGORITHMS.join(" or ")}, not "${values.algorithm}"`);
  }
  return rotateCommand({ ...overrides, stack: values.stack, domain: values.domain, algorithm });
}
