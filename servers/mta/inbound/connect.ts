/**
 * Port 25, connect: the per-client connection limit (421 4.7.0). The pause before the greeting
 * (the early-talker test) is over by now: listener.ts holds it, before smtp-server calls this.
 */
import type { SMTPServerOptions } from "smtp-server";
import { admitConnection } from "../connection-limit.ts";
import { refuse, type MtaContext } from "../context.ts";
import { clientFault, REPLIES } from "../replies.ts";

export function inboundConnect(context: MtaContext): NonNullable<SMTPServerOptions["onConnect"]> {
  return (session, callback) => {
    if (!admitConnection(context, session)) {
      refuse(context, session, callback, clientFault(REPLIES.tooManyConnections), "connect");
      return;
    }
    callback();
  };
}
