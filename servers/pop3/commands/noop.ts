/** NOOP (RFC 1939 §5): "+OK", nothing else; clients use it to keep the session alive. */
import { defineCommand } from "../command.ts";
import { REPLIES } from "../replies.ts";

export const noop = defineCommand({
  name: "NOOP",
  states: ["transaction"],
  args: { min: 0, max: 0 },
  async run(ctx) {
    await ctx.reply(REPLIES.noop);
  },
});
