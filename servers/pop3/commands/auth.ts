/**
 * AUTH (RFC 5034) with the PLAIN mechanism (RFC 4616), with or without an initial response;
 * "=" is an empty initial response (RFC 5034 §4). Without the response, the server sends "+ "
 * and the next line is the response (the session's `sasl` state), "*" cancelling.
 * AUTH without a mechanism lists the mechanisms, as many clients probe that way.
 */
import { defineCommand, type CommandContext } from "../command.ts";
import { login } from "../login.ts";
import { ProtocolError, REPLIES } from "../replies.ts";

const MECHANISMS = ["PLAIN"] as const;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const auth = defineCommand({
  name: "AUTH",
  states: ["authorization"],
  args: { min: 0, max: 2 },
  needsTls: true,
  async run(ctx, _state, [mechanism, initialResponse]) {
    if (mechanism === undefined) {
      await ctx.replyLines(REPLIES.mechanisms, MECHANISMS);
      return;
    }
    if (mechanism.toUpperCase() !== "PLAIN") throw new ProtocolError(REPLIES.unknownMechanism);
    if (initialResponse === undefined) {
      ctx.setState({ kind: "sasl", mechanism: "PLAIN" });
      await ctx.write(Buffer.from("+ \r\n"));
      return;
    }
    await plainResponse(ctx, initialResponse === "=" ? "" : initialResponse);
  },
});

/** The line a client sent in the `sasl` state: the PLAIN response, or "*" to cancel. */
export async function saslContinuation(ctx: CommandContext, line: string): Promise<void> {
  ctx.setState({ kind: "authorization" });
  if (line === "*") {
    await ctx.reply(REPLIES.authCancelled);
    return;
  }
  await plainResponse(ctx, line);
}

async function plainResponse(ctx: CommandContext, base64: string): Promise<void> {
  const credentials = decodePlain(base64);
  if (!credentials) {
    ctx.authenticationFailed();
    await ctx.reply(REPLIES.badSaslResponse);
    return;
  }
  // RFC 4616 §2: acting as another user (authzid) is not something we grant anyone.
  if (credentials.authzid !== "" && credentials.authzid !== credentials.authcid) {
    ctx.authenticationFailed();
    await ctx.reply(REPLIES.authFailed);
    return;
  }
  await login(ctx, credentials.authcid, credentials.password, "PLAIN");
}

/** RFC 4616 §2: message = [authzid] NUL authcid NUL passwd, UTF-8; undefined when malformed. */
export function decodePlain(
  base64: string,
): { authzid: string; authcid: string; password: string } | undefined {
  if (base64 === "" || !BASE64.test(base64)) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(base64, "base64"));
  } catch {
    return undefined;
  }
  const parts = text.split("\0");
  if (parts.length !== 3) return undefined;
  const [authzid = "", authcid = "", password = ""] = parts;
  if (authcid === "" || password === "") return undefined;
  return { authzid, authcid, password };
}
