/** Submission, connect: the per-client connection limit (421 4.7.0); no greeting delay. */
import type { SMTPServerOptions } from "smtp-server";
import { admitConnection } from "../connection-limit.ts";
import { refuse, type MtaContext } from "../context.ts";
import { clientFault, REPLIES } from "../replies.ts";

export function submissionConnect(
  context: MtaContext,
): NonNullable<SMTPServerOptions["onConnect"]> {
  return (session, callback) => {
    if (!admitConnection(context, session)) {
      refuse(context, session, callback, clientFault(REPLIES.tooManyConnections), "connect");
      return;
    }
    callback();
  };
}
