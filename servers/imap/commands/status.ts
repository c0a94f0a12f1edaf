/**
 * STATUS (RFC 9051 §6.3.11) with SIZE (RFC 8438), DELETED, and HIGHESTMODSEQ (RFC 7162 §3.1.6,
 * which turns CONDSTORE on for the session).
 */
import { mailboxArg, encodeMailboxName } from "../protocol/mailbox-name.ts";
import { atom } from "../protocol/serializer.ts";
import { list } from "../protocol/tokens.ts";
import { defineCommand } from "../session/command.ts";
import { AUTHENTICATED } from "../session/state.ts";
import { statusItems, statusValues } from "./status-items.ts";

export const status = defineCommand({
  name: "STATUS",
  states: AUTHENTICATED,
  args: ["astring", "list"],
  updates: "all",
  parse: ([mailbox, items], { utf8 }) => ({
    mailbox: mailboxArg(mailbox, utf8),
    items: statusItems(list(items)),
  }),
  async run({ session, state }, { mailbox, items }) {
    if (items.includes("HIGHESTMODSEQ")) session.enable("CONDSTORE");
    const info = await state.account.status(mailbox);
    session.send([
      atom("STATUS"),
      encodeMailboxName(info.name, session.utf8),
      await statusValues(state.account, info, items),
    ]);
  },
});
