/**
 * SUBSCRIBE and UNSUBSCRIBE (RFC 9051 §6.3.7, §6.3.8). A name without a mailbox may be
 * subscribed (the RFC allows it; LIST shows it as \NonExistent).
 */
import { mailboxArg } from "../protocol/mailbox-name.ts";
import { defineCommand } from "../session/command.ts";
import { AUTHENTICATED } from "../session/state.ts";

function subscription(name: "SUBSCRIBE" | "UNSUBSCRIBE", subscribed: boolean) {
  return defineCommand({
    name,
    states: AUTHENTICATED,
    args: ["astring"],
    updates: "all",
    parse: ([mailbox], { utf8 }) => ({ name: mailboxArg(mailbox, utf8) }),
    async run({ state }, args) {
      await state.account.setSubscribed(args.name, subscribed);
    },
  });
}

export const subscribe = subscription("SUBSCRIBE", true);
export const unsubscribe = subscription("UNSUBSCRIBE", false);
