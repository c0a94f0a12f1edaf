/**
 * LSUB (RFC 3501 §6.3.9; gone from IMAP4rev2, still used by IMAP4rev1 clients): subscribed names
 * matching the pattern. A level "%" stops at is returned with \Noselect when it is not itself
 * subscribed, as the RFC asks.
 */
import { DELIMITER } from "../limits.ts";
import { decodeMailboxName, encodeMailboxName } from "../protocol/mailbox-name.ts";
import { atom, str } from "../protocol/serializer.ts";
import { astringBytes } from "../protocol/tokens.ts";
import { defineCommand } from "../session/command.ts";
import { AUTHENTICATED } from "../session/state.ts";
import { parentsOf, patternMatcher } from "./mailbox-pattern.ts";

export const lsub = defineCommand({
  name: "LSUB",
  states: AUTHENTICATED,
  args: ["astring", "astring"],
  updates: "all",
  parse: ([reference, pattern], { utf8 }) => ({
    reference: decodeMailboxName(astringBytes(reference), utf8),
    pattern: decodeMailboxName(astringBytes(pattern), utf8),
  }),
  async run({ session, state }, { reference, pattern }) {
    const matches = patternMatcher(reference, pattern);
    const subscribed = await state.account.listSubscriptions();
    const existing = new Set((await state.account.listMailboxes()).map((m) => m.name));
    const out = new Map<string, boolean>();
    for (const name of subscribed) {
      if (matches(name)) {
        out.set(name, existing.has(name));
        continue;
      }
      // "%" stopped above this name: the level it reached is listed (RFC 3501 §6.3.9).
      for (const parent of parentsOf(name)) {
        if (!out.has(parent) && !subscribed.includes(parent) && matches(parent)) {
          out.set(parent, false);
        }
      }
    }
    for (const [name, selectable] of [...out].sort(([a], [b]) => (a < b ? -1 : 1))) {
      session.send([
        atom("LSUB"),
        selectable ? [] : [atom("\\Noselect")],
        str(DELIMITER),
        encodeMailboxName(name, session.utf8),
      ]);
    }
  },
});
