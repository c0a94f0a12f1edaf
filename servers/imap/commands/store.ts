/**
 * STORE and UID STORE (RFC 9051 §6.4.6) with UNCHANGEDSINCE (RFC 7162 §3.1.3): FLAGS, +FLAGS,
 * -FLAGS, each with .SILENT. Without .SILENT every message of the set gets a FETCH with its
 * flags (and MODSEQ when CONDSTORE is on); messages that failed UNCHANGEDSINCE are listed in
 * the tagged OK's MODIFIED code.
 */
import type { FlagOperation } from "../../store/index.ts";
import { bad, no } from "../protocol/errors.ts";
import { formatNumberSet, sequenceSet } from "../protocol/sequence-set.ts";
import { atom, type Value } from "../protocol/serializer.ts";
import { keyword, list, modseq } from "../protocol/tokens.ts";
import { defineCommand } from "../session/command.ts";
import { SELECTED } from "../session/state.ts";
import { flags } from "./flag-args.ts";

const OPERATIONS: Readonly<Record<string, FlagOperation>> = {
  "": "replace",
  "+": "add",
  "-": "remove",
};

function storeCommand(name: "STORE" | "UID STORE", uid: boolean) {
  return defineCommand({
    name,
    states: SELECTED,
    args: ["atom", "any", "any", "any..."],
    updates: uid ? "all" : "no-expunge",
    parse: ([set, ...rest]) => {
      let unchangedSince: number | undefined;
      if (rest[0]?.kind === "list") {
        const mods = list(rest.shift());
        if (mods.length !== 2 || keyword(mods[0]) !== "UNCHANGEDSINCE") {
          throw bad("Unknown STORE modifier");
        }
        unchangedSince = modseq(mods[1], { allowZero: true });
      }
      const match = /^([+-]?)FLAGS(\.SILENT)?$/.exec(keyword(rest[0], "FLAGS, +FLAGS or -FLAGS"));
      if (!match || rest.length < 2) throw bad("Expected FLAGS, +FLAGS or -FLAGS and flags");
      return {
        set: sequenceSet(set),
        unchangedSince,
        operation: OPERATIONS[match[1] ?? ""] as FlagOperation,
        silent: match[2] !== undefined,
        flags: flags(rest.slice(1)),
      };
    },
    async run({ session, state }, args) {
      const { mailbox } = state;
      if (mailbox.readOnly) throw no("Mailbox is read-only");
      if (args.unchangedSince !== undefined) session.enable("CONDSTORE");
      const positions = mailbox.view.resolve(args.set, uid, mailbox.saved);
      if (positions.length === 0) return;
      const result = await mailbox.store.storeFlags(
        mailbox.view.uidSet(positions),
        args.operation,
        args.flags,
        args.unchangedSince === undefined ? {} : { unchangedSince: args.unchangedSince },
      );
      // RFC 9051 §7.3.5: a new keyword changes the mailbox's FLAGS; so does one that another
      // session set on these messages since this one last heard.
      mailbox.announceKeywords([args.flags, ...result.messages.map((m) => m.flags)], session);
      const condstore = session.updates.condstore;
      for (const message of result.messages) {
        if (message.changed) mailbox.noteReported(message.uid, message.modseq);
        const seq = mailbox.view.seqOf(message.uid);
        if (seq === undefined) continue;
        let data: Value[];
        if (args.silent) {
          // RFC 7162 §3.1.3 (example 3): with CONDSTORE, .SILENT still reports the new MODSEQ.
          if (!condstore || !message.changed) continue;
          data = [];
        } else data = [atom("FLAGS"), mailbox.flags(message.uid, message.flags)];
        // RFC 7162 §3.1: with CONDSTORE on, flag-change FETCHes carry UID and MODSEQ.
        if (uid || condstore) data.unshift(atom("UID"), message.uid);
        if (condstore) data.push(atom("MODSEQ"), [message.modseq]);
        session.send([seq, atom("FETCH"), data]);
      }
      if (result.modified.length > 0) {
        const numbers = uid
          ? result.modified
          : result.modified.map((u) => mailbox.view.seqOf(u)).filter((n) => n !== undefined);
        return {
          code: `MODIFIED ${formatNumberSet([...numbers].sort((a, b) => a - b))}`,
          text: `${name} completed`,
        };
      }
    },
  });
}

export const store = storeCommand("STORE", false);
export const uidStore = storeCommand("UID STORE", true);
