/**
 * STARTTLS (RFC 9051 §6.2.1): only on a plain connection that offers it. The handshake starts
 * after the tagged OK; anything the client pipelined after the command is thrown away (RFC
 * 9051 §11.1: a man in the middle could have injected it).
 */
import { bad } from "../protocol/errors.ts";
import { defineCommand, noArgs } from "../session/command.ts";
import { NOT_AUTHENTICATED } from "../session/state.ts";

export const starttls = defineCommand({
  name: "STARTTLS",
  states: NOT_AUTHENTICATED,
  args: [],
  updates: "none",
  parse: noArgs,
  run({ session }) {
    if (session.secure) throw bad("TLS is already active");
    if (!session.settings.starttls) throw bad("STARTTLS is not offered here");
    return { text: "Begin TLS negotiation now", after: () => session.startTls() };
  },
});
