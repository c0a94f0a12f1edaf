/**
 * CREATE (RFC 9051 §6.3.4): missing superiors are created too; a trailing delimiter only says
 * the client means to create children later, so it is dropped.
 */
import { DELIMITER } from "../limits.ts";
import { no } from "../protocol/errors.ts";
import { mailboxArg } from "../protocol/mailbox-name.ts";
import { defineCommand } from "../session/command.ts";
import { AUTHENTICATED } from "../session/state.ts";

export const create = defineCommand({
  name: "CREATE",
  states: AUTHENTICATED,
  args: ["astring", "list?"],
  updates: "all",
  parse: ([mailbox], { utf8 }) => {
    let name = mailboxArg(mailbox, utf8);
    while (name.endsWith(DELIMITER) && name.length > 1) name = name.slice(0, -1);
    return { name };
  },
  async run({ state }, { name }) {
    if (name.toUpperCase() === "INBOX") throw no("INBOX always exists", "ALREADYEXISTS");
    await state.account.createMailbox(name);
  },
});
