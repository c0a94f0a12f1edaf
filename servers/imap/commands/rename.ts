/**
 * RENAME (RFC 9051 §6.3.6): with all inferiors; renaming INBOX moves its messages to the new
 * mailbox and leaves INBOX empty. A selected mailbox stays selected (the view follows its id).
 */
import { mailboxArg } from "../protocol/mailbox-name.ts";
import { defineCommand } from "../session/command.ts";
import { AUTHENTICATED } from "../session/state.ts";

export const rename = defineCommand({
  name: "RENAME",
  states: AUTHENTICATED,
  args: ["astring", "astring"],
  updates: "all",
  parse: ([from, to], { utf8 }) => ({ from: mailboxArg(from, utf8), to: mailboxArg(to, utf8) }),
  async run({ state }, { from, to }) {
    await state.account.renameMailbox(from, to);
    if (state.kind === "selected") state.mailbox.markDirty();
  },
});
