/**
 * Local recipients to the MDA over LMTP (RFC 2033): one connection, per-recipient replies after
 * DATA. The queue uses it for mail the submission side could not hand to the MDA directly
 * (the MDA answered 4xx or was down) and for bounces to local senders.
 */
import { once } from "node:events";
import { createConnection, type Socket } from "node:net";
import type { Logger } from "../../shared/log.ts";
import type { LmtpTarget } from "../queue/config.ts";
import type { StoredEnvelope } from "../queue/records.ts";
import type { Outcome } from "../queue/recipient-state.ts";
import { FAILURES, localOutcome, outcomeFromReply, type Hop } from "./results.ts";
import { openSession, SessionOpenError } from "./smtp-session.ts";
import { runTransactions, type IndexedRecipient } from "./transactions.ts";

export interface LmtpOptions {
  readonly target: LmtpTarget;
  readonly hostname: string;
  readonly timeouts: { connectMs: number; greetingMs: number; idleMs: number };
  readonly log: Logger;
}

export async function deliverLmtp(
  options: LmtpOptions,
  message: { envelope: StoredEnvelope; raw: Uint8Array },
  recipients: readonly IndexedRecipient[],
  signal?: AbortSignal,
): Promise<Map<number, Outcome>> {
  const { target } = options;
  const hop: Hop = {
    remoteMta: "lmtp",
    relay:
      target.kind === "unix" ? `lmtp[unix:${target.path}]` : `lmtp[${target.host}]:${target.port}`,
  };
  const failAll = (outcome: Outcome) => new Map(recipients.map((r) => [r.index, outcome]));
  let socket: Socket | undefined;
  try {
    if (target.kind === "unix") {
      socket = createConnection(target.path);
      await once(socket, "connect");
    }
    const session = await openSession({
      host: target.kind === "tcp" ? target.host : "localhost",
      port: target.kind === "tcp" ? target.port : 24,
      name: options.hostname,
      lmtp: true,
      tls: target.kind === "tcp" ? "opportunistic" : "none",
      timeouts: options.timeouts,
      ...(socket ? { socket } : {}),
      ...(signal ? { signal } : {}),
      log: options.log,
    });
    const result = await runTransactions(session, message, recipients, hop, "lmtp");
    if (signal?.aborted) return result.outcomes;
    for (const r of recipients) {
      if (!result.outcomes.has(r.index)) {
        result.outcomes.set(r.index, result.stopped ?? localOutcome(FAILURES.connectionLost));
      }
    }
    session.quit();
    return result.outcomes;
  } catch (error) {
    socket?.destroy();
    if (signal?.aborted) return new Map();
    if (error instanceof SessionOpenError && error.reply?.startsWith("4")) {
      return failAll(outcomeFromReply(error.reply, hop, "delivered"));
    }
    // The MDA is ours: whatever went wrong reaching it is worth a retry, never a bounce.
    const detail = error instanceof Error ? error.message : String(error);
    return failAll(localOutcome(FAILURES.mdaUnavailable, detail, hop));
  }
}
