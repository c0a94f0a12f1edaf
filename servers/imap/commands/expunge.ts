/**
 * EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315): removes \Deleted messages (of the UID
 * set) and tells the client, one EXPUNGE per message or one VANISHED with QRESYNC.
 */
import { no } from "../protocol/errors.ts";
import { sequenceSet } from "../protocol/sequence-set.ts";
import { defineCommand, noArgs } from "../session/command.ts";
import { SELECTED } from "../session/state.ts";

export const expunge = defineCommand({
  name: "EXPUNGE",
  states: SELECTED,
  args: [],
  updates: "all",
  parse: noArgs,
  async run({ session, state }) {
    const { mailbox } = state;
    if (mailbox.readOnly) throw no("Mailbox is read-only", "CANNOT");
    const gone = await mailbox.store.expunge();
    mailbox.expunged(new Set(gone), session.updates);
  },
});

export const uidExpunge = defineCommand({
  name: "UID EXPUNGE",
  states: SELECTED,
  args: ["atom"],
  updates: "all",
  parse: ([set]) => ({ set: sequenceSet(set) }),
  async run({ session, state }, { set }) {
    const { mailbox } = state;
    if (mailbox.readOnly) throw no("Mailbox is read-only", "CANNOT");
    const positions = mailbox.view.resolve(set, true, mailbox.saved);
    if (positions.length === 0) return;
    const gone = await mailbox.store.expunge({ uids: mailbox.view.uidSet(positions) });
    mailbox.expunged(new Set(gone), session.updates);
  },
});
