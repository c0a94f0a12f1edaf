/**
 * RETR n (RFC 1939 §5): the whole message, byte-stuffed, then ".". Once it is sent the message
 * gets \Seen in the store, so an IMAP client of the same account shows it as read (RFC 1939 has
 * no flags; this is what Dovecot does too). A failure to set the flag loses nothing and is only
 * logged.
 */
import { defineCommand } from "../command.ts";
import { sendMessage } from "../message-stream.ts";
import { REPLIES } from "../replies.ts";

export const retr = defineCommand({
  name: "RETR",
  states: ["transaction"],
  args: { min: 1, max: 1 },
  async run(ctx, { maildrop }, [argument = ""]) {
    const message = maildrop.message(argument);
    await sendMessage(ctx, maildrop, message, REPLIES.message(message.size));
    await maildrop.markSeen(message).catch((error: unknown) => {
      ctx.log.warn({ err: error, uid: message.uid }, "could not set \\Seen after RETR");
    });
  },
});
