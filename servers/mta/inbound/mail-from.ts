/**
 * Port 25, MAIL FROM: any sender (checking it is the spam service's work: SPF, DMARC), within the
 * client's message rate (450 4.7.1). smtp-server has checked the syntax and SIZE= already.
 */
import type { SMTPServerOptions } from "smtp-server";
import { refuse, type MtaContext } from "../context.ts";
import { clientFault, REPLIES } from "../replies.ts";

export function inboundMailFrom(context: MtaContext): NonNullable<SMTPServerOptions["onMailFrom"]> {
  return (address, session, callback) => {
    const connection = context.sessions.connection(session);
    if (!context.limits.allowMessage(connection.clientKey)) {
      refuse(context, session, callback, clientFault(REPLIES.rateLimited), "mail");
      return;
    }
    const transaction = context.sessions.transaction(session);
    connection.log.debug({ id: transaction.id, from: address.address }, "MAIL FROM");
    callback();
  };
}
