/** USER (RFC 1939 §7): remembers the name; PASS checks it. The reply never tells if it exists. */
import { defineCommand } from "../command.ts";
import { REPLIES } from "../replies.ts";

export const user = defineCommand({
  name: "USER",
  states: ["authorization"],
  args: { min: 1, max: 1 },
  needsTls: true,
  async run(ctx, _state, [name = ""]) {
    ctx.setState({ kind: "authorization", user: name });
    await ctx.reply(REPLIES.userAccepted);
  },
});
