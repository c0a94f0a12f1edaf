/**
 * CAPA (RFC 2449 §5): what this session offers now. USER and SASL appear only once TLS is on,
 * since we refuse them before (RFC 2595 §4: a server lists STLS and withholds mechanisms that
 * would send a password in the clear); STLS only on the cleartext port before the upgrade.
 */
import { defineCommand, type CommandContext } from "../command.ts";
import { REPLIES } from "../replies.ts";

/** The capability lines for a session in this state. */
export function capabilities(
  ctx: Pick<CommandContext, "secure" | "stlsAvailable">,
  kind: "authorization" | "transaction",
): string[] {
  const lines = [
    "TOP",
    "UIDL",
    // RFC 2449 §6.4: extended response codes; RFC 3206 §6: [AUTH]/[SYS] on AUTH failures too.
    "RESP-CODES",
    "AUTH-RESP-CODE",
    // RFC 2449 §6.6: commands may be sent without waiting; we answer them in order.
    "PIPELINING",
  ];
  if (kind === "authorization" && ctx.secure) lines.push("USER", "SASL PLAIN");
  if (kind === "authorization" && ctx.stlsAvailable) lines.push("STLS");
  lines.push("IMPLEMENTATION mailstack");
  return lines;
}

export const capa = defineCommand({
  name: "CAPA",
  states: ["authorization", "transaction"],
  args: { min: 0, max: 0 },
  async run(ctx, state) {
    await ctx.replyLines(REPLIES.capabilities, capabilities(ctx, state.kind));
  },
});
