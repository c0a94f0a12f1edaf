/**
 * Submission, AUTH PLAIN and LOGIN (RFC 4616, RFC 4954) against the directory, which throttles
 * repeated failures per login and per client address. smtp-server only runs this under TLS: on
 * 587 AUTH is neither listed nor accepted before STARTTLS (538 5.7.11), on 465 TLS comes first.
 *
 *   right password                 235 2.7.0
 *   wrong login or password        535 5.7.8   (never says which)
 *   too many recent failures       454 4.7.0
 *   directory down                 454 4.7.0
 *   PLAIN with another authzid     535 5.7.8   (no acting as someone else)
 */
import type { SMTPServerOptions } from "smtp-server";
import { refuse, type MtaContext } from "../context.ts";
import { clientFault, REPLIES, serverFault } from "../replies.ts";

export function submissionAuth(context: MtaContext): NonNullable<SMTPServerOptions["onAuth"]> {
  return (auth, session, callback) => {
    const { log } = context.sessions.connection(session);
    const login = auth.username ?? "";
    const proxying =
      auth.method === "PLAIN" &&
      !!auth.authzid &&
      !!auth.authcid &&
      auth.authzid.toLowerCase() !== auth.authcid.toLowerCase();
    if ((auth.method !== "PLAIN" && auth.method !== "LOGIN") || proxying || !session.secure) {
      refuse(context, session, callback, clientFault(REPLIES.authInvalid), "auth");
      return;
    }
    context.directory
      .authenticate(login, auth.password ?? "", { remoteAddress: session.remoteAddress })
      .then(
        (result) => {
          if (result.ok) {
            log.info({ user: result.user.id, method: auth.method }, "authenticated");
            callback(null, { user: result.user });
            return;
          }
          log.info({ login, method: auth.method, reason: result.reason }, "login failed");
          const error =
            result.reason === "invalid"
              ? clientFault(REPLIES.authInvalid)
              : result.reason === "throttled"
                ? clientFault(REPLIES.authThrottled)
                : serverFault(REPLIES.authUnavailable);
          refuse(context, session, callback, error, "auth");
        },
        (error: unknown) => refuse(context, session, callback, error, "auth"),
      );
  };
}
