/**
 * COPY and UID COPY (RFC 9051 §6.4.7) with COPYUID (RFC 4315 UIDPLUS). A missing target is
 * TRYCREATE. Copying into or out of Junk teaches the spam filter (junk-learning.ts), since
 * clients without MOVE move by COPY, STORE \Deleted, EXPUNGE.
 */
import { no } from "../protocol/errors.ts";
import { mailboxArg } from "../protocol/mailbox-name.ts";
import { sequenceSet } from "../protocol/sequence-set.ts";
import { defineCommand } from "../session/command.ts";
import { SELECTED } from "../session/state.ts";
import { copyUidCode, learnFromTransfer, targetMailbox } from "./transfer.ts";

function copyCommand(name: "COPY" | "UID COPY", uid: boolean) {
  return defineCommand({
    name,
    states: SELECTED,
    args: ["atom", "astring"],
    updates: uid ? "all" : "no-expunge",
    parse: ([set, mailbox], { utf8 }) => ({
      set: sequenceSet(set),
      target: mailboxArg(mailbox, utf8),
    }),
    async run({ session, state }, args) {
      const { mailbox, account } = state;
      const positions = mailbox.view.resolve(args.set, uid, mailbox.saved);
      const target = await targetMailbox(account, args.target);
      if (positions.length === 0) return;
      const result = await mailbox.store.copy(mailbox.view.uidSet(positions), target.id);
      if (target.id === mailbox.id) mailbox.markDirty();
      if (result.pairs.length === 0)
        throw no("The requested messages no longer exist", "EXPUNGEISSUED");
      learnFromTransfer(session, state, target, result);
      return { code: copyUidCode(result), text: `${name} completed` };
    },
  });
}

export const copy = copyCommand("COPY", false);
export const uidCopy = copyCommand("UID COPY", true);
