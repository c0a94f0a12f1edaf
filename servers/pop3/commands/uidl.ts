/** UIDL [n] (RFC 1939 §7): "n unique-id" per message not marked deleted; see Maildrop.uniqueId. */
import { defineCommand } from "../command.ts";
import { REPLIES } from "../replies.ts";

export const uidl = defineCommand({
  name: "UIDL",
  states: ["transaction"],
  args: { min: 0, max: 1 },
  async run(ctx, { maildrop }, [argument]) {
    if (argument !== undefined) {
      const message = maildrop.message(argument);
      await ctx.reply(REPLIES.uidlEntry(message.number, maildrop.uniqueId(message)));
      return;
    }
    const lines = maildrop.live().map((m) => `${m.number} ${maildrop.uniqueId(m)}`);
    await ctx.replyLines(REPLIES.uidlListing, lines);
  },
});
