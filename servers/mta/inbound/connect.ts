/**
 * Port 25, connect: the per-client connection limit (421 4.7.0), then a pause before the 220
 * greeting. A client that talks during the pause breaks RFC 5321 §4.3.1 (wait for the greeting)
 * and is almost always a spam engine: smtp-server answers it `421 You talk too soon` and closes
 * (it refuses input until the greeting is out), so the pause is the detection window.
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
    const delay = context.config.limits.greetingDelayMs;
    if (delay === 0) callback();
    else setTimeout(() => callback(), delay);
  };
}
