/**
 * PASS (RFC 1939 §7): the password for the name USER gave; the whole rest of the line, spaces
 * included. A failure forgets the name: the client starts again with USER or AUTH.
 */
import { defineCommand } from "../command.ts";
import { login } from "../login.ts";
import { ProtocolError, REPLIES } from "../replies.ts";

export const pass = defineCommand({
  name: "PASS",
  states: ["authorization"],
  args: { min: 1, max: 1, rest: true },
  needsTls: true,
  async run(ctx, state, [password = ""]) {
    if (state.user === undefined) throw new ProtocolError(REPLIES.passWithoutUser);
    const name = state.user;
    ctx.setState({ kind: "authorization" });
    await login(ctx, name, password, "USER");
  },
});
