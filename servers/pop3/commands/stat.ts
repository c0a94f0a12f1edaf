/** STAT (RFC 1939 §5): "+OK count size", messages marked deleted left out. */
import { defineCommand } from "../command.ts";
import { REPLIES } from "../replies.ts";

export const stat = defineCommand({
  name: "STAT",
  states: ["transaction"],
  args: { min: 0, max: 0 },
  async run(ctx, { maildrop }) {
    const { count, size } = maildrop.totals();
    await ctx.reply(REPLIES.stat(count, size));
  },
});
