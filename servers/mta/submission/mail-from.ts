/**
 * Submission, MAIL FROM: only after AUTH (530 5.7.0), within the user's message rate
 * (450 4.7.1), and only as an address the user owns (553 5.7.1, RFC 6409 §6.1; ownership.ts).
 * The null sender is allowed: MUAs send read receipts with it (RFC 8098 §2.1 asks for it), and
 * the From header is still checked at DATA.
 */
import type { SMTPServerOptions, SMTPServerSession } from "smtp-server";
import type { User } from "../../shared/directory/types.ts";
import { utf8WithoutSmtpUtf8 } from "../address-policy.ts";
import { refuse, type MtaContext } from "../context.ts";
import { clientFault, REPLIES } from "../replies.ts";
import { ownsAddress } from "./ownership.ts";

/** The user onAuth put on the session, if any. */
export function sessionUser(session: SMTPServerSession): User | undefined {
  return (session.user as User | false | undefined) || undefined;
}

export function submissionMailFrom(
  context: MtaContext,
): NonNullable<SMTPServerOptions["onMailFrom"]> {
  return (address, session, callback) => {
    const user = sessionUser(session);
    if (!user) {
      refuse(context, session, callback, clientFault(REPLIES.authRequired), "mail");
      return;
    }
    if (utf8WithoutSmtpUtf8(address.address, session.envelope.smtpUtf8)) {
      refuse(context, session, callback, clientFault(REPLIES.utf8WithoutSmtpUtf8), "mail");
      return;
    }
    if (!context.limits.allowMessage(`user:${user.id}`)) {
      refuse(context, session, callback, clientFault(REPLIES.rateLimited), "mail");
      return;
    }
    context.sessions.transaction(session);
    if (address.address === "") {
      callback();
      return;
    }
    ownsAddress(context.directory, user, address.address, context.config.domains).then(
      (owned) =>
        owned
          ? callback()
          : refuse(context, session, callback, clientFault(REPLIES.senderNotOwned), "mail"),
      (error: unknown) => refuse(context, session, callback, error, "mail"),
    );
  };
}
