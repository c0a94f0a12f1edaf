/** THREAD and UID THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES, on the store's facts. */
import { bad } from "../protocol/errors.ts";
import { atom } from "../protocol/serializer.ts";
import { keyword } from "../protocol/tokens.ts";
import { resolveCriteria } from "../search/search-keys.ts";
import { formatThreads, orderedSubject, references } from "../search/thread.ts";
import { defineCommand } from "../session/command.ts";
import { SELECTED } from "../session/state.ts";
import { parseCharsetAndCriteria } from "./search.ts";

function threadCommand(name: "THREAD" | "UID THREAD", uid: boolean) {
  return defineCommand({
    name,
    states: SELECTED,
    args: ["atom", "astring", "any", "any..."],
    updates: uid ? "all" : "no-expunge",
    parse: ([algorithm, ...rest]) => {
      const alg = keyword(algorithm, "threading algorithm");
      if (alg !== "REFERENCES" && alg !== "ORDEREDSUBJECT") throw bad(`Unknown algorithm ${alg}`);
      return { alg, ...parseCharsetAndCriteria(rest, true) };
    },
    async run({ session, state }, args) {
      const { mailbox } = state;
      if (args.usesModseq) session.enable("CONDSTORE");
      const max = mailbox.view.maxUid;
      const keys = resolveCriteria(args.criteria, mailbox);
      const facts =
        max === 0
          ? []
          : await mailbox.store.threadFacts([{ type: "uid", uids: [[1, max]] }, ...keys]);
      const visible = facts.filter((f) => mailbox.view.has(f.uid));
      let threads;
      if (args.alg === "REFERENCES") threads = references(visible);
      else threads = orderedSubject(visible);
      const text = formatThreads(threads, (u) => (uid ? u : (mailbox.view.seqOf(u) as number)));
      session.send(text === "" ? [atom("THREAD")] : [atom("THREAD"), atom(text)]);
    },
  });
}

export const thread = threadCommand("THREAD", false);
export const uidThread = threadCommand("UID THREAD", true);
