/**
 * QUOTA (RFC 9208): one quota root, "", holding the whole account, with the STORAGE (units of
 * 1024 octets) and MESSAGE resources the directory sets. Without limits there is no root.
 * SETQUOTA is not offered: limits come from the directory.
 */
import type { Account } from "../../store/index.ts";
import { no } from "../protocol/errors.ts";
import { encodeMailboxName, mailboxArg } from "../protocol/mailbox-name.ts";
import { atom, str, type Value } from "../protocol/serializer.ts";
import { astring } from "../protocol/tokens.ts";
import { defineCommand } from "../session/command.ts";
import { AUTHENTICATED } from "../session/state.ts";

const ROOT = "";

/** The resources of the root, or undefined when no limit is set. */
async function resources(account: Account): Promise<Value[] | undefined> {
  const usage = await account.quota();
  const out: Value[] = [];
  if (usage.storageLimit !== undefined) {
    out.push(
      atom("STORAGE"),
      Math.ceil(usage.storageBytes / 1024),
      Math.floor(usage.storageLimit / 1024),
    );
  }
  if (usage.messageLimit !== undefined) {
    out.push(atom("MESSAGE"), usage.messages, usage.messageLimit);
  }
  return out.length > 0 ? out : undefined;
}

export const getQuota = defineCommand({
  name: "GETQUOTA",
  states: AUTHENTICATED,
  args: ["astring"],
  updates: "all",
  parse: ([root]) => ({ root: astring(root, "quota root") }),
  async run({ session, state }, { root }) {
    const list = root === ROOT ? await resources(state.account) : undefined;
    if (!list) throw no("No such quota root", "NONEXISTENT");
    session.send([atom("QUOTA"), str(ROOT), list]);
  },
});

export const getQuotaRoot = defineCommand({
  name: "GETQUOTAROOT",
  states: AUTHENTICATED,
  args: ["astring"],
  updates: "all",
  parse: ([mailbox], { utf8 }) => ({ mailbox: mailboxArg(mailbox, utf8) }),
  async run({ session, state }, { mailbox }) {
    const info = await state.account.getMailbox(mailbox);
    if (!info) throw no("Mailbox does not exist", "NONEXISTENT");
    const list = await resources(state.account);
    const name = encodeMailboxName(info.name, session.utf8);
    session.send(list ? [atom("QUOTAROOT"), name, str(ROOT)] : [atom("QUOTAROOT"), name]);
    if (list) session.send([atom("QUOTA"), str(ROOT), list]);
  },
});
