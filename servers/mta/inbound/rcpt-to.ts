/**
 * Port 25, RCPT TO: our domains only, and only addresses the directory knows, decided now so no
 * bounce is ever needed for an unknown user (RFC 5321 §3.6.2 on relaying, §7.1; RFC 3463):
 *
 *   UTF-8 address without SMTPUTF8               553 5.6.7
 *   routing tricks (%, !, quoted @, literals)    550 5.7.1
 *   another domain                               550 5.7.1
 *   our domain, nobody there                     550 5.1.1
 *   directory down                               451 4.3.0
 *   a user or a group                            250 2.1.5
 *   our SRS0 return address, valid (srs.ts)      250 2.1.5, passed on to the original sender
 *   our SRS0 return address, bad hash or old     550 5.1.1
 */
import type { SMTPServerOptions } from "smtp-server";
import { classifyAddress, utf8WithoutSmtpUtf8 } from "../address-policy.ts";
import { refuse, type MtaContext } from "../context.ts";
import { remoteMembers } from "../group-members.ts";
import { clientFault, REPLIES } from "../replies.ts";
import { routeKey, type Route } from "../session.ts";
import { isSrsAddress, srsReverse } from "../srs.ts";

export function inboundRcptTo(context: MtaContext): NonNullable<SMTPServerOptions["onRcptTo"]> {
  return (address, session, callback) => {
    if (utf8WithoutSmtpUtf8(address.address, session.envelope.smtpUtf8)) {
      refuse(context, session, callback, clientFault(REPLIES.utf8WithoutSmtpUtf8), "rcpt");
      return;
    }
    route(context, address.address).then(
      (found) => {
        context.sessions.transaction(session).routes.set(routeKey(address.address), found);
        callback();
      },
      (error: unknown) => refuse(context, session, callback, error, "rcpt"),
    );
  };
}

async function route(context: MtaContext, address: string): Promise<Route> {
  const { directory, config } = context;
  const kind = classifyAddress(address, config.domains);
  if (kind.kind === "routed") throw clientFault(REPLIES.routingDenied);
  if (kind.kind === "remote") throw clientFault(REPLIES.relayDenied);
  if (context.srs && isSrsAddress(kind.address)) {
    const reversal = srsReverse(kind.address, context.srs);
    if (reversal?.kind !== "ok") throw clientFault(REPLIES.badSrsAddress);
    return { kind: "remote", address: reversal.address };
  }
  const resolution = await directory.resolve(kind.address);
  if (resolution.kind === "unknown") throw clientFault(REPLIES.unknownUser);
  const remote =
    resolution.kind === "group"
      ? await remoteMembers(directory, resolution.group, config.domains)
      : [];
  return { kind: "local", address: kind.address, remoteMembers: remote };
}
