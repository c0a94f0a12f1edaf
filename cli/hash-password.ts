/**
 * `mailstack hash-password`: reads a password from stdin (never from the command line, where it
 * would land in shell history and `ps`) and prints its hash for a stack config or an LDIF.
 */
import { createInterface } from "node:readline";
import {
  hashPassword,
  toLdapUserPassword,
  type HashAlgorithm,
} from "../servers/shared/directory/passwords.ts";

export async function hashPasswordCommand(options: {
  algorithm: HashAlgorithm;
  ldap: boolean;
}): Promise<number> {
  const password = await readPassword();
  if (password.length === 0) {
    process.stderr.write("mailstack: no password given on stdin\n");
    return 65; // EX_DATAERR
  }
  const hash = await hashPassword(password, options.algorithm);
  process.stdout.write(`${options.ldap ? toLdapUserPassword(hash) : hash}\n`);
  return 0;
}

/** The first line of stdin; on a terminal, prompts without echoing what is typed. */
async function readPassword(): Promise<string> {
  const input = process.stdin;
  if (input.isTTY) {
    process.stderr.write("Password: ");
    input.setRawMode(true);
    let password = "";
    for await (const chunk of input) {
      for (const ch of String(chunk)) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          input.setRawMode(false);
          input.pause();
          process.stderr.write("\n");
          return password;
        }
        if (ch === "\u0003") {
          input.setRawMode(false);
          throw new Error("cancelled");
        }
        password = ch === "\u007f" ? password.slice(0, -1) : password + ch;
      }
    }
    return password;
  }
  const lines = createInterface({ input });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return "";
}
