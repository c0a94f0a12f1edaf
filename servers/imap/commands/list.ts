/**
 * LIST (RFC 9051 §6.3.9) with LIST-EXTENDED selection and return options (RFC 5258), SPECIAL-USE
 * (RFC 6154), CHILDREN (RFC 3348) and LIST-STATUS (RFC 5819):
 *
 *   LIST [(SUBSCRIBED|SPECIAL-USE|REMOTE|RECURSIVEMATCH ...)] reference (pattern | (patterns))
 *        [RETURN (SUBSCRIBED CHILDREN SPECIAL-USE STATUS (items))]
 */
import type { MailboxInfo } from "../../store/index.ts";
import { DELIMITER } from "../limits.ts";
import { bad } from "../protocol/errors.ts";
import { decodeMailboxName, encodeMailboxName } from "../protocol/mailbox-name.ts";
import { atom, str, type Value } from "../protocol/serializer.ts";
import { astringBytes, isAtom, keyword, list, type Token } from "../protocol/tokens.ts";
import { defineCommand, type ParseContext } from "../session/command.ts";
import { AUTHENTICATED } from "../session/state.ts";
import { anyMatch, parentsOf, patternMatcher, type Matcher } from "./mailbox-pattern.ts";
import { statusItems, statusValues, type StatusItem } from "./status-items.ts";

interface ListArgs {
  readonly extended: boolean;
  readonly subscribedOnly: boolean;
  readonly specialUseOnly: boolean;
  readonly recursive: boolean;
  readonly returnSubscribed: boolean;
  readonly status: readonly StatusItem[] | undefined;
  readonly reference: string;
  readonly patterns: readonly string[];
}

function parseList(args: readonly Token[], { utf8 }: ParseContext): ListArgs {
  let i = 0;
  const selection = new Set<string>();
  if (args[0]?.kind === "list") {
    for (const option of args[0].items) selection.add(keyword(option, "selection option"));
    i++;
  }
  for (const option of selection) {
    if (!["SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"].includes(option)) {
      throw bad(`Unknown LIST selection option ${option}`);
    }
  }
  if (selection.has("RECURSIVEMATCH") && selection.size === 1 + Number(selection.has("REMOTE"))) {
    throw bad("RECURSIVEMATCH needs another selection option");
  }
  const reference = decodeMailboxName(astringBytes(args[i++], "reference"), utf8);
  const patternToken = args[i++];
  const patternTokens = patternToken?.kind === "list" ? patternToken.items : [patternToken];
  const patterns = patternTokens.map((t) => decodeMailboxName(astringBytes(t, "pattern"), utf8));
  let returnSubscribed = selection.has("SUBSCRIBED");
  let status: StatusItem[] | undefined;
  let extended = selection.size > 0 || patternToken?.kind === "list";
  if (isAtom(args[i], "RETURN")) {
    extended = true;
    const options = list(args[i + 1], "return options");
    for (let j = 0; j < options.length; j++) {
      const option = keyword(options[j], "return option");
      if (option === "SUBSCRIBED") returnSubscribed = true;
      else if (option === "STATUS") status = statusItems(list(options[++j], "status items"));
      else if (option !== "CHILDREN" && option !== "SPECIAL-USE") {
        throw bad(`Unknown LIST return option ${option}`);
      }
    }
    i += 2;
  }
  if (i !== args.length || patterns.length === 0) throw bad("Invalid LIST arguments");
  return {
    extended,
    subscribedOnly: selection.has("SUBSCRIBED"),
    specialUseOnly: selection.has("SPECIAL-USE"),
    recursive: selection.has("RECURSIVEMATCH"),
    returnSubscribed,
    status,
    reference,
    patterns,
  };
}

interface Entry {
  readonly name: string;
  readonly info: MailboxInfo | undefined;
  readonly subscribed: boolean;
  /** RECURSIVEMATCH: a descendant is subscribed (RFC 5258 CHILDINFO). */
  readonly childSubscribed: boolean;
}

export const listCommand = defineCommand({
  name: "LIST",
  states: AUTHENTICATED,
  args: ["any", "any", "any..."],
  updates: "all",
  parse: parseList,
  async run({ session, state }, args) {
    const { account } = state;
    const utf8 = session.utf8;
    if (args.patterns.length === 1 && args.patterns[0] === "" && !args.subscribedOnly) {
      // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and the root.
      session.send([atom("LIST"), [atom("\\Noselect")], str(DELIMITER), str("")]);
      return;
    }
    const matchers = args.patterns.map((p) => patternMatcher(args.reference, p));
    const mailboxes = await account.listMailboxes();
    const byName = new Map(mailboxes.map((m) => [m.name, m]));
    const subscriptions =
      args.subscribedOnly || args.returnSubscribed
        ? new Set(await account.listSubscriptions())
        : new Set(mailboxes.filter((m) => m.subscribed).map((m) => m.name));
    const entries = collect(args, matchers, mailboxes, byName, subscriptions);
    const children = new Set(mailboxes.flatMap((m) => parentsOf(m.name)));
    for (const entry of entries) {
      const attributes: string[] = [];
      if (!entry.info)
        attributes.push(args.extended || session.rev2 ? "\\NonExistent" : "\\Noselect");
      attributes.push(children.has(entry.name) ? "\\HasChildren" : "\\HasNoChildren");
      const use = entry.info?.specialUse;
      if (use && use !== "\\Inbox") attributes.push(use);
      if (args.returnSubscribed && entry.subscribed) attributes.push("\\Subscribed");
      const data: Value[] = [
        atom("LIST"),
        attributes.map(atom),
        str(DELIMITER),
        encodeMailboxName(entry.name, utf8),
      ];
      if (entry.childSubscribed) data.push([str("CHILDINFO"), [str("SUBSCRIBED")]]);
      session.send(data);
      if (args.status && entry.info) {
        const status = await account.status(entry.info.id);
        session.send([
          atom("STATUS"),
          encodeMailboxName(entry.name, utf8),
          await statusValues(account, status, args.status),
        ]);
      }
    }
  },
});

function collect(
  args: ListArgs,
  matchers: readonly Matcher[],
  mailboxes: readonly MailboxInfo[],
  byName: ReadonlyMap<string, MailboxInfo>,
  subscriptions: ReadonlySet<string>,
): Entry[] {
  const entries = new Map<string, Entry>();
  const add = (name: string, childSubscribed = false): void => {
    const existing = entries.get(name);
    if (existing && !childSubscribed) return;
    entries.set(name, {
      name,
      info: byName.get(name),
      subscribed: subscriptions.has(name),
      childSubscribed: childSubscribed || (existing?.childSubscribed ?? false),
    });
  };
  if (args.subscribedOnly) {
    for (const name of subscriptions) {
      const info = byName.get(name);
      if (args.specialUseOnly && !(info?.specialUse && info.specialUse !== "\\Inbox")) continue;
      if (anyMatch(matchers, name)) add(name);
      // RFC 5258 CHILDINFO: a parent stands for subscribed descendants the patterns do not
      // reach themselves (when they are returned, the parent is not needed for them).
      if (args.recursive && !anyMatch(matchers, name)) {
        for (const parent of parentsOf(name)) {
          if (!subscriptions.has(parent) && anyMatch(matchers, parent)) add(parent, true);
        }
      }
    }
  } else {
    for (const mailbox of mailboxes) {
      if (args.specialUseOnly && !(mailbox.specialUse && mailbox.specialUse !== "\\Inbox"))
        continue;
      if (anyMatch(matchers, mailbox.name)) add(mailbox.name);
      if (args.specialUseOnly || anyMatch(matchers, mailbox.name)) continue;
      // "%" patterns: a level above a mailbox the pattern does not reach (RFC 9051 §6.3.9).
      for (const parent of parentsOf(mailbox.name)) {
        if (!byName.has(parent) && anyMatch(matchers, parent)) add(parent);
      }
    }
  }
  return [...entries.values()].sort((a, b) => compareNames(a.name, b.name));
}

/** INBOX first, then by name. */
function compareNames(a: string, b: string): number {
  if (a === "INBOX") return -1;
  if (b === "INBOX") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
