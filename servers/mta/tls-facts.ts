/** The TLS facts of a session, for Received headers and the spam service. */
import type { SMTPServerSession } from "smtp-server";

export function sessionTls(
  session: SMTPServerSession,
): { readonly version: string; readonly cipher: string } | undefined {
  if (!session.secure || !session.tlsOptions) return undefined;
  return {
    version: session.tlsOptions.version,
    cipher: session.tlsOptions.standardName || session.tlsOptions.name,
  };
}
