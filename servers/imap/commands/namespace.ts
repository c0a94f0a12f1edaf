/** NAMESPACE (RFC 2342, RFC 9051 §6.3.10): one personal namespace, no others. */
import { atom, str } from "../protocol/serializer.ts";
import { DELIMITER } from "../limits.ts";
import { defineCommand, noArgs } from "../session/command.ts";
import { AUTHENTICATED } from "../session/state.ts";

export const namespace = defineCommand({
  name: "NAMESPACE",
  states: AUTHENTICATED,
  args: [],
  updates: "all",
  parse: noArgs,
  run({ session }) {
    session.send([atom("NAMESPACE"), [[str(""), str(DELIMITER)]], null, null]);
  },
});
