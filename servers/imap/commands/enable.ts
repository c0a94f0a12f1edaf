/**
 * ENABLE (RFC 5161, RFC 9051 §6.3.1): turns on IMAP4rev2, CONDSTORE, QRESYNC (RFC 7162) and
 * UTF8=ACCEPT (RFC 6855); `* ENABLED` lists what this command newly enabled. Unknown names
 * are ignored, as the RFC asks.
 */
import { atom } from "../protocol/serializer.ts";
import { keyword } from "../protocol/tokens.ts";
import { defineCommand } from "../session/command.ts";
import type { Extension } from "../session/state.ts";

const KNOWN: Readonly<Record<string, Extension>> = {
  IMAP4REV2: "IMAP4REV2",
  CONDSTORE: "CONDSTORE",
  QRESYNC: "QRESYNC",
  "UTF8=ACCEPT": "UTF8=ACCEPT",
};

const SPELLING: Readonly<Record<Extension, string>> = {
  IMAP4REV2: "IMAP4rev2",
  CONDSTORE: "CONDSTORE",
  QRESYNC: "QRESYNC",
  "UTF8=ACCEPT": "UTF8=ACCEPT",
};

export const enable = defineCommand({
  name: "ENABLE",
  states: ["authenticated"],
  args: ["atom", "atom..."],
  updates: "none",
  parse: (args) => args.map((a) => keyword(a, "capability")),
  run({ session }, names) {
    const newly: Extension[] = [];
    for (const name of names) {
      const extension = KNOWN[name];
      if (!extension) continue;
      if (!session.enabled.has(extension) && !newly.includes(extension)) newly.push(extension);
      session.enable(extension);
    }
    session.send([atom("ENABLED"), ...newly.map((e) => atom(SPELLING[e]))]);
  },
});
