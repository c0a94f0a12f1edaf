/** What every hook of the MTA works with: config, directory, queue, keys, spam client, limits. */
import type { SMTPServerSession } from "smtp-server";
import type { Directory } from "../shared/directory/types.ts";
import type { Logger } from "../shared/log.ts";
import type { ClientLimits } from "./client-limits.ts";
import type { MtaConfig } from "./config.ts";
import type { DkimKeyring } from "./dkim/keys.ts";
import type { LmtpClient } from "./lmtp-client.ts";
import type { Queue } from "./queue/types.ts";
import { DirectoryUnavailableError } from "../shared/directory/types.ts";
import { ProtocolError, REPLIES, serverFault } from "./replies.ts";
import type { SessionStates } from "./session.ts";
import type { SpamClient } from "./spam-client.ts";
import type { SrsKeys } from "./srs.ts";

export interface MtaContext {
  readonly config: MtaConfig;
  readonly directory: Directory;
  readonly queue: Queue;
  readonly keyring: DkimKeyring;
  /** The MDA, over LMTP. */
  readonly lmtp: LmtpClient;
  /** Undefined when no spam service is configured: mail is then accepted unchecked. */
  readonly spam: SpamClient | undefined;
  readonly limits: ClientLimits;
  /** SRS keys when configured: forwarded mail is sent with a rewritten sender (srs.ts). */
  readonly srs: SrsKeys | undefined;
  readonly sessions: SessionStates;
  readonly log: Logger;
}

type HookCallback = (error?: Error | null) => void;

/**
 * Ends a hook with `error` as the reply: our ProtocolErrors as they are (the client's faults at
 * info, ours at warn), a directory outage as 451, anything else as 451 and logged as a bug.
 */
export function refuse(
  context: MtaContext,
  session: SMTPServerSession,
  callback: HookCallback,
  error: unknown,
  stage: string,
): void {
  callback(toProtocolError(context, session, error, stage));
}

export function toProtocolError(
  context: MtaContext,
  session: SMTPServerSession,
  error: unknown,
  stage: string,
): ProtocolError {
  const { log } = context.sessions.connection(session);
  let refusal: ProtocolError;
  if (error instanceof ProtocolError) refusal = error;
  else if (error instanceof DirectoryUnavailableError) {
    refusal = serverFault(REPLIES.directoryDown, error);
  } else {
    log.error({ err: error, stage }, "unexpected failure");
    return serverFault(REPLIES.internalError, error);
  }
  const facts = { stage, code: refusal.reply.code, reply: refusal.message };
  if (refusal.userError) log.info(facts, "refused");
  else log.warn({ ...facts, err: refusal.cause }, "refused");
  return refusal;
}
