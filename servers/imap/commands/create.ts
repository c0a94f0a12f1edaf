/**
 * CREATE (RFC 9051 §6.3.4): missing superiors are created too; a trailing delimiter only says
 * the client means to create children later, so it is dropped. CREATE-SPECIAL-USE (RFC 6154
 * §3): `USE (\Sent)` makes the new mailbox the account's one mailbox of that use; a use the
 * store does not keep, or one another mailbox already has, is refused with USEATTR.
 */
import { isStoreError, type SpecialUse } from "../../store/index.ts";
import { DELIMITER } from "../limits.ts";
import { bad, no } from "../protocol/errors.ts";
import { mailboxArg } from "../protocol/mailbox-name.ts";
import { isAtom, keyword, list, type Token } from "../protocol/tokens.ts";
import { defineCommand } from "../session/command.ts";
import { AUTHENTICATED } from "../session/state.ts";

/** The uses a new mailbox may have (the store keeps one mailbox per use). */
const USES: readonly SpecialUse[] = ["\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash"];

/** RFC 4466 §2.2 create-params: only USE is known; anything else is a client error. */
function specialUse(params: Token | undefined): SpecialUse | undefined {
  if (!params) return undefined;
  const items = list(params, "create parameters");
  if (items.length === 0) return undefined;
  if (items.length !== 2 || keyword(items[0], "create parameter") !== "USE") {
    throw bad("Unknown CREATE parameter");
  }
  const uses = list(items[1], "USE attributes");
  const [attribute] = uses;
  if (uses.length !== 1 || !isAtom(attribute)) {
    throw no("Exactly one special use per mailbox", "USEATTR");
  }
  const use = USES.find((u) => u.toLowerCase() === attribute.value.toLowerCase());
  if (!use) throw no(`Special use ${attribute.value} is not supported`, "USEATTR");
  return use;
}

export const create = defineCommand({
  name: "CREATE",
  states: AUTHENTICATED,
  args: ["astring", "list?"],
  updates: "all",
  parse: ([mailbox, params], { utf8 }) => {
    let name = mailboxArg(mailbox, utf8);
    while (name.endsWith(DELIMITER) && name.length > 1) name = name.slice(0, -1);
    return { name, use: specialUse(params) };
  },
  async run({ state }, { name, use }) {
    if (name.toUpperCase() === "INBOX") throw no("INBOX always exists", "ALREADYEXISTS");
    try {
      await state.account.createMailbox(name, use ? { specialUse: use } : {});
    } catch (error) {
      // The store refuses a second mailbox of one use with CANNOT.
      if (use && isStoreError(error, "CANNOT")) throw no(error.message, "USEATTR");
      throw error;
    }
  },
});
