/**
 * STLS (RFC 2595 §4): TLS on the cleartext port. Input the client pipelined after STLS is
 * discarded, so nothing sent in the clear is read as if it came over TLS (RFC 7457 §2.2).
 * The session starts over in AUTHORIZATION state without a USER; the client asks CAPA again.
 */
import { defineCommand } from "../command.ts";
import { ProtocolError, REPLIES } from "../replies.ts";

export const stls = defineCommand({
  name: "STLS",
  states: ["authorization"],
  args: { min: 0, max: 0 },
  async run(ctx) {
    if (!ctx.stlsAvailable) throw new ProtocolError(REPLIES.tlsActive);
    await ctx.startTls(REPLIES.beginTls);
  },
});
