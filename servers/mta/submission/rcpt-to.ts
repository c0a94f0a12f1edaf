/**
 * Submission, RCPT TO: any domain (the user is authenticated), but our own addresses are checked
 * now, as on port 25 (550 5.1.1 for nobody, 451 4.3.0 when the directory is down), and routing
 * tricks and address literals are refused (550 5.7.1, address-policy.ts).
 */
import type { SMTPServerOptions } from "smtp-server";
import { classifyAddress, utf8WithoutSmtpUtf8 } from "../address-policy.ts";
import { refuse, type MtaContext } from "../context.ts";
import { remoteMembers } from "../group-members.ts";
import { clientFault, REPLIES } from "../replies.ts";
import { routeKey, type Route } from "../session.ts";

export function submissionRcptTo(context: MtaContext): NonNullable<SMTPServerOptions["onRcptTo"]> {
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
  if (kind.kind === "remote") return { kind: "remote", address: kind.address };
  const resolution = await directory.resolve(kind.address);
  if (resolution.kind === "unknown") throw clientFault(REPLIES.unknownUser);
  const remote =
    resolution.kind === "group"
      ? await remoteMembers(directory, resolution.group, config.domains)
      : [];
  return { kind: "local", address: kind.address, remoteMembers: remote };
}
