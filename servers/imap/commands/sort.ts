/**
 * SORT and UID SORT (RFC 5256 §3, with DISPLAYFROM/DISPLAYTO from RFC 5957): the store orders
 * the matching messages; ties are in sequence order.
 */
import type { SortCriterion, SortKey } from "../../store/index.ts";
import { bad } from "../protocol/errors.ts";
import { atom } from "../protocol/serializer.ts";
import { keyword, list } from "../protocol/tokens.ts";
import { resolveCriteria } from "../search/search-keys.ts";
import { defineCommand } from "../session/command.ts";
import { SELECTED } from "../session/state.ts";
import { parseCharsetAndCriteria } from "./search.ts";

const KEYS = new Set([
  "ARRIVAL",
  "CC",
  "DATE",
  "FROM",
  "SIZE",
  "SUBJECT",
  "TO",
  "DISPLAYFROM",
  "DISPLAYTO",
]);

function sortCommand(name: "SORT" | "UID SORT", uid: boolean) {
  return defineCommand({
    name,
    states: SELECTED,
    args: ["list", "astring", "any", "any..."],
    updates: uid ? "all" : "no-expunge",
    parse: ([criteriaToken, ...rest]) => {
      const order: SortCriterion[] = [];
      let reverse = false;
      for (const token of list(criteriaToken, "sort criteria")) {
        const key = keyword(token, "sort key");
        if (key === "REVERSE") {
          if (reverse) throw bad("REVERSE twice");
          reverse = true;
        } else if (KEYS.has(key)) {
          order.push({ key: key.toLowerCase() as SortKey, reverse });
          reverse = false;
        } else throw bad(`Unknown sort key ${key}`);
      }
      if (order.length === 0 || reverse) throw bad("Invalid sort criteria");
      return { order, ...parseCharsetAndCriteria(rest, true) };
    },
    async run({ session, state }, args) {
      const { mailbox } = state;
      if (args.usesModseq) session.enable("CONDSTORE");
      const max = mailbox.view.maxUid;
      const keys = resolveCriteria(args.criteria, mailbox);
      const uids =
        max === 0
          ? []
          : await mailbox.store.sort(args.order, [{ type: "uid", uids: [[1, max]] }, ...keys]);
      const numbers = uids
        .map((u) => (uid ? (mailbox.view.has(u) ? u : undefined) : mailbox.view.seqOf(u)))
        .filter((n) => n !== undefined);
      session.send([atom("SORT"), ...numbers]);
    },
  });
}

export const sort = sortCommand("SORT", false);
export const uidSort = sortCommand("UID SORT", true);
