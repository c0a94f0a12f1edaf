/** The per-client connection limit, shared by all listeners: counted at connect, released at close. */
import type { SMTPServerSession } from "smtp-server";
import type { MtaContext } from "./context.ts";

/** Counts the connection; false when the client already holds as many as it may. */
export function admitConnection(context: MtaContext, session: SMTPServerSession): boolean {
  const connection = context.sessions.connection(session);
  if (!context.limits.openConnection(connection.clientKey)) return false;
  connection.counted = true;
  return true;
}

/** smtp-server's onClose: also called for connections that onConnect refused. */
export function releaseConnection(context: MtaContext, session: SMTPServerSession): void {
  const connection = context.sessions.existingConnection(session);
  if (connection?.counted) {
    connection.counted = false;
    context.limits.closeConnection(connection.clientKey);
  }
}
