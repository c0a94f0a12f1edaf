/**
 * LOGIN (RFC 9051 §6.2.3) against the directory, which throttles repeated failures and answers
 * failures in equal time. Refused before TLS (LOGINDISABLED) unless plaintext is allowed.
 */
import { astring } from "../protocol/tokens.ts";
import { defineCommand } from "../session/command.ts";
import { NOT_AUTHENTICATED } from "../session/state.ts";
import { authenticateUser } from "./auth-common.ts";

export const login = defineCommand({
  name: "LOGIN",
  states: NOT_AUTHENTICATED,
  args: ["astring", "astring"],
  updates: "none",
  parse: ([user, password]) => ({ user: astring(user), password: astring(password) }),
  async run({ session }, { user, password }) {
    return authenticateUser(session, user, password);
  },
});
