/** LOGOUT (RFC 9051 §6.1.3): `* BYE`, the tagged OK, then the connection closes. */
import { atom } from "../protocol/serializer.ts";
import { defineCommand, noArgs } from "../session/command.ts";
import { ANY } from "../session/state.ts";

export const logout = defineCommand({
  name: "LOGOUT",
  states: ANY,
  args: [],
  updates: "none",
  parse: noArgs,
  run({ session }) {
    session.send([atom("BYE"), atom("Logging out")]);
    session.setState({ kind: "logout" });
    return { text: "LOGOUT completed", after: () => session.close() };
  },
});
