/**
 * QUIT (RFC 1939 §6). In AUTHORIZATION state: goodbye. In TRANSACTION state: the UPDATE state
 * removes the messages marked with DELE, then "+OK"; if the store fails, "-ERR" and nothing is
 * lost. Either way the connection closes.
 */
import { defineCommand } from "../command.ts";
import { REPLIES } from "../replies.ts";

export const quit = defineCommand({
  name: "QUIT",
  states: ["authorization", "transaction"],
  args: { min: 0, max: 0 },
  async run(ctx, state) {
    if (state.kind === "authorization") {
      ctx.setState({ kind: "closed" });
      await ctx.reply(REPLIES.bye);
      ctx.close();
      return;
    }
    const { maildrop } = state;
    ctx.setState({ kind: "closed" });
    try {
      const removed = await maildrop.commit();
      const left = maildrop.totals().count;
      ctx.log.info({ user: state.userId, removed, left }, "update state done");
      await ctx.reply(REPLIES.updated(removed, left));
    } catch (error) {
      ctx.log.error({ err: error, user: state.userId }, "update state failed");
      await ctx.reply(REPLIES.updateFailed);
    } finally {
      await maildrop.close();
      ctx.close();
    }
  },
});
