/**
 * SEARCH and UID SEARCH (RFC 9051 §6.4.4) with CHARSET, ESEARCH result options (RFC 4731:
 * MIN, MAX, COUNT, ALL), SEARCHRES (RFC 5182: SAVE, then "$" in later commands) and the MODSEQ
 * key (RFC 7162 §3.1.5). IMAP4rev2 sessions always get ESEARCH responses (RFC 9051 §7.3.4).
 */
import { bad } from "../protocol/errors.ts";
import { formatNumberSet } from "../protocol/sequence-set.ts";
import { atom, str, type Value } from "../protocol/serializer.ts";
import { astring, isAtom, keyword, list, type Token } from "../protocol/tokens.ts";
import {
  checkCharset,
  parseCriteria,
  resolveCriteria,
  type Criterion,
} from "../search/search-keys.ts";
import { defineCommand } from "../session/command.ts";
import type { SelectedMailbox } from "../session/selected-mailbox.ts";
import { SELECTED } from "../session/state.ts";

const RESULT_OPTIONS = new Set(["MIN", "MAX", "COUNT", "ALL", "SAVE"]);

interface SearchArgs {
  readonly options: ReadonlySet<string> | undefined;
  readonly criteria: readonly Criterion[];
  readonly usesModseq: boolean;
}

/** `[CHARSET name] keys...`, shared by SEARCH, SORT and THREAD. */
export function parseCharsetAndCriteria(tokens: readonly Token[], charsetRequired: boolean) {
  let i = 0;
  if (charsetRequired) checkCharset(astring(tokens[i++], "charset"));
  else if (isAtom(tokens[0], "CHARSET")) {
    checkCharset(astring(tokens[1], "charset"));
    i = 2;
  }
  return parseCriteria(tokens.slice(i));
}

function parseSearch(args: readonly Token[]): SearchArgs {
  let options: Set<string> | undefined;
  let rest = args;
  if (isAtom(args[0], "RETURN")) {
    options = new Set(list(args[1], "result options").map((t) => keyword(t, "result option")));
    for (const option of options) {
      if (!RESULT_OPTIONS.has(option)) throw bad(`Unknown result option ${option}`);
    }
    rest = args.slice(2);
  }
  return { options, ...parseCharsetAndCriteria(rest, false) };
}

/** Matching UIDs that are in the session's view, ascending. */
export async function searchUids(mailbox: SelectedMailbox, criteria: readonly Criterion[]) {
  const max = mailbox.view.maxUid;
  if (max === 0) return [];
  const keys = resolveCriteria(criteria, mailbox);
  const uids = await mailbox.store.search([{ type: "uid", uids: [[1, max]] }, ...keys]);
  return uids.filter((uid) => mailbox.view.has(uid));
}

async function highestModseq(mailbox: SelectedMailbox, uids: readonly number[]): Promise<number> {
  if (uids.length === 0) return 0;
  const summaries = await mailbox.store.list(uids.map((u): [number, number] => [u, u]));
  return summaries.reduce((max, s) => Math.max(max, s.modseq), 0);
}

function searchCommand(name: "SEARCH" | "UID SEARCH", uid: boolean) {
  return defineCommand({
    name,
    states: SELECTED,
    args: ["any", "any..."],
    updates: uid ? "all" : "no-expunge",
    parse: parseSearch,
    async run({ tag, session, state }, args) {
      const { mailbox } = state;
      const save = args.options?.has("SAVE") ?? false;
      if (args.usesModseq) session.enable("CONDSTORE");
      let uids: number[];
      try {
        uids = await searchUids(mailbox, args.criteria);
      } catch (error) {
        if (save) mailbox.saved = []; // RFC 5182 §2.1: a failed SEARCH ... SAVE empties "$"
        throw error;
      }
      const numbers = uid ? uids : uids.map((u) => mailbox.view.seqOf(u) as number);
      // RFC 4731 §3.2 / RFC 7162 §3.1.5: MODSEQ is the highest of the messages reported; with
      // only MIN and/or MAX asked, of those messages.
      const ends =
        args.options !== undefined &&
        args.options.size > 0 &&
        !args.options.has("ALL") &&
        !args.options.has("COUNT");
      const reported = ends
        ? [
            args.options?.has("MIN") ? uids[0] : undefined,
            args.options?.has("MAX") ? uids.at(-1) : undefined,
          ].filter((u): u is number => u !== undefined)
        : uids;
      const modseq = args.usesModseq ? await highestModseq(mailbox, reported) : 0;
      if (args.options === undefined && !session.rev2) {
        const data: Value[] = [atom("SEARCH"), ...numbers];
        if (modseq > 0) data.push([atom("MODSEQ"), modseq]);
        session.send(data);
        return;
      }
      const options =
        args.options === undefined || args.options.size === 0 ? new Set(["ALL"]) : args.options;
      if (save) {
        // RFC 5182 §2.4: with only MIN and/or MAX, only those messages are saved.
        const onlyEnds =
          !options.has("ALL") &&
          !options.has("COUNT") &&
          (options.has("MIN") || options.has("MAX"));
        mailbox.saved = onlyEnds
          ? [
              ...new Set([
                options.has("MIN") ? uids[0] : undefined,
                options.has("MAX") ? uids.at(-1) : undefined,
              ]),
            ].filter((u): u is number => u !== undefined)
          : uids;
        if (options.size === 1) return;
      }
      const data: Value[] = [atom("ESEARCH"), [atom("TAG"), str(tag)]];
      if (uid) data.push(atom("UID"));
      if (options.has("MIN") && numbers.length > 0) data.push(atom("MIN"), numbers[0] as number);
      if (options.has("MAX") && numbers.length > 0)
        data.push(atom("MAX"), numbers.at(-1) as number);
      if (options.has("COUNT")) data.push(atom("COUNT"), numbers.length);
      if (options.has("ALL") && numbers.length > 0)
        data.push(atom("ALL"), atom(formatNumberSet(numbers)));
      if (modseq > 0) data.push(atom("MODSEQ"), modseq);
      session.send(data);
    },
  });
}

export const search = searchCommand("SEARCH", false);
export const uidSearch = searchCommand("UID SEARCH", true);
