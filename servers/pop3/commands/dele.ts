/** DELE n (RFC 1939 §5): marks the message; QUIT removes it, RSET or a dropped connection not. */
import { defineCommand } from "../command.ts";
import { REPLIES } from "../replies.ts";

export const dele = defineCommand({
  name: "DELE",
  states: ["transaction"],
  args: { min: 1, max: 1 },
  async run(ctx, { maildrop }, [argument = ""]) {
    const message = maildrop.message(argument);
    maildrop.markDeleted(message);
    await ctx.reply(REPLIES.deleted(message.number));
  },
});
