/** RSET (RFC 1939 §5): unmarks every message marked deleted in this session. */
import { defineCommand } from "../command.ts";
import { REPLIES } from "../replies.ts";

export const rset = defineCommand({
  name: "RSET",
  states: ["transaction"],
  args: { min: 0, max: 0 },
  async run(ctx, { maildrop }) {
    maildrop.reset();
    const { count, size } = maildrop.totals();
    await ctx.reply(REPLIES.reset(count, size));
  },
});
