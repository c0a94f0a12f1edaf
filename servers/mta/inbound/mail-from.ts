/**
 * Port 25, MAIL FROM: any sender (checking it is the spam service's work: SPF, DMARC), within the
 * client's message rate (450 4.7.1), UTF-8 only with SMTPUTF8 (553 5.6.7). smtp-server has
 * checked the syntax and SIZE= already.
 */
import type { SMTPServerOptions } from "smtp-server";
import { utf8WithoutSmtpUtf8 } from "../address-policy.ts";
import { refuse, type MtaContext } from "../context.ts";
import { clientFault, REPLIES } from "../replies.ts";

export function inboundMailFrom(context: MtaContext): NonNullable<SMTPServerOptions["onMailFrom"]> {
  return (address, session, callback) => {
    const connection = context.sessions.connection(session);
    if (utf8WithoutSmtpUtf8(address.address, session.envelope.smtpUtf8)) {
      refuse(context, session, callback, clientFault(REPLIES.utf8WithoutSmtpUtf8), "mail");
      return;
    }
    if (!context.limits.allowMessage(connection.clientKey)) {
      refuse(context, session, callback, clientFault(REPLIES.rateLimited), "mail");
      return;
    }
    const transaction = context.sessions.transaction(session);
    connection.log.debug({ id: transaction.id, from: address.address }, "MAIL FROM");
    callback();
  };
}
