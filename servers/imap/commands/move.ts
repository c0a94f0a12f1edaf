/**
 * MOVE and UID MOVE (RFC 6851): the store moves atomically; the client gets COPYUID in an
 * untagged OK, then EXPUNGE (or VANISHED with QRESYNC) for each moved message, then the tagged
 * OK. Moving into Junk learns spam, out of Junk (not to Trash) learns ham.
 */
import { no } from "../protocol/errors.ts";
import { mailboxArg } from "../protocol/mailbox-name.ts";
import { sequenceSet } from "../protocol/sequence-set.ts";
import { atom } from "../protocol/serializer.ts";
import { defineCommand } from "../session/command.ts";
import { SELECTED } from "../session/state.ts";
import { copyUidCode, learnFromTransfer, targetMailbox } from "./transfer.ts";

function moveCommand(name: "MOVE" | "UID MOVE", uid: boolean) {
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
      if (mailbox.readOnly) throw no("Mailbox is read-only", "CANNOT");
      const positions = mailbox.view.resolve(args.set, uid, mailbox.saved);
      const target = await targetMailbox(account, args.target);
      if (positions.length === 0) return;
      const result = await mailbox.store.move(mailbox.view.uidSet(positions), target.id);
      if (result.pairs.length === 0)
        throw no("The requested messages no longer exist", "EXPUNGEISSUED");
      session.send([atom("OK"), atom(`[${copyUidCode(result)}] Moved`)]);
      mailbox.expunged(new Set(result.pairs.map(([source]) => source)), session.updates);
      if (target.id === mailbox.id) mailbox.markDirty();
      learnFromTransfer(session, state, target, result);
    },
  });
}

export const move = moveCommand("MOVE", false);
export const uidMove = moveCommand("UID MOVE", true);
