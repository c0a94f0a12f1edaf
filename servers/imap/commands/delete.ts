/**
 * DELETE (RFC 9051 §6.3.5): the mailbox and its messages go; inferior mailboxes stay. Deleting
 * the selected mailbox leaves the selected state (RFC 7162 §3.2.11 [CLOSED] tells QRESYNC
 * clients so).
 */
import { atom } from "../protocol/serializer.ts";
import { mailboxArg } from "../protocol/mailbox-name.ts";
import { defineCommand } from "../session/command.ts";
import { AUTHENTICATED } from "../session/state.ts";

export const deleteCommand = defineCommand({
  name: "DELETE",
  states: AUTHENTICATED,
  args: ["astring"],
  updates: "all",
  parse: ([mailbox], { utf8 }) => ({ name: mailboxArg(mailbox, utf8) }),
  async run({ session, state }, { name }) {
    const info = await state.account.getMailbox(name);
    await state.account.deleteMailbox(name);
    if (state.kind === "selected" && info?.id === state.mailbox.id) {
      session.setState({ kind: "authenticated", user: state.user, account: state.account });
      if (session.updates.qresync || session.rev2) {
        session.send([atom("OK"), atom("[CLOSED] Selected mailbox deleted")]);
      }
    }
  },
});
