/**
 * CLOSE (RFC 9051 §6.4.1): expunges \Deleted messages silently (unless read-only) and leaves
 * the selected state. UNSELECT (RFC 3691) leaves without expunging.
 */
import { defineCommand, noArgs } from "../session/command.ts";
import { SELECTED } from "../session/state.ts";

export const close = defineCommand({
  name: "CLOSE",
  states: SELECTED,
  args: [],
  updates: "none",
  parse: noArgs,
  async run({ session, state }) {
    session.setState({ kind: "authenticated", user: state.user, account: state.account });
    if (!state.mailbox.readOnly) await state.mailbox.store.expunge();
  },
});

export const unselect = defineCommand({
  name: "UNSELECT",
  states: SELECTED,
  args: [],
  updates: "none",
  parse: noArgs,
  run({ session, state }) {
    session.setState({ kind: "authenticated", user: state.user, account: state.account });
  },
});
