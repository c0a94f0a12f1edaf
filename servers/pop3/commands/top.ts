/**
 * TOP n lines (RFC 1939 §7): the header, the blank line and the first `lines` lines of the body.
 * Unlike RETR it leaves \Seen alone: clients use it to preview.
 */
import { defineCommand } from "../command.ts";
import { sendMessage } from "../message-stream.ts";
import { ProtocolError, REPLIES } from "../replies.ts";

export const top = defineCommand({
  name: "TOP",
  states: ["transaction"],
  args: { min: 2, max: 2 },
  async run(ctx, { maildrop }, [argument = "", lines = ""]) {
    const message = maildrop.message(argument);
    // RFC 1939 §7: "a non-negative number"; larger than any message has is the whole body.
    if (!/^\d{1,10}$/.test(lines)) throw new ProtocolError(REPLIES.badArguments);
    await sendMessage(ctx, maildrop, message, REPLIES.top, Number(lines));
  },
});
