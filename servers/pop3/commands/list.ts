/** LIST [n] (RFC 1939 §5): the scan listing, "n size" per message not marked deleted. */
import { defineCommand } from "../command.ts";
import { REPLIES } from "../replies.ts";

export const list = defineCommand({
  name: "LIST",
  states: ["transaction"],
  args: { min: 0, max: 1 },
  async run(ctx, { maildrop }, [argument]) {
    if (argument !== undefined) {
      const message = maildrop.message(argument);
      await ctx.reply(REPLIES.listEntry(message.number, message.size));
      return;
    }
    const { count, size } = maildrop.totals();
    const lines = maildrop.live().map((m) => `${m.number} ${m.size}`);
    await ctx.replyLines(REPLIES.listing(count, size), lines);
  },
});
