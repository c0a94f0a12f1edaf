/**
 * Submission, end of DATA: the message is read (552 over SIZE, 554 with NUL), prepared (From
 * owned, Date and Message-ID, Received, DKIM: prepare.ts), and then:
 *
 * - our own recipients go to the MDA over LMTP now, so local mail arrives at once;
 * - everything else goes into the durable queue in one enqueue: other domains, a group's remote
 *   members, local recipients the MDA did not take (down, 4xx or 5xx: the queue retries, then
 *   bounces to the sender), and local recipients that asked for NOTIFY=SUCCESS (the queue
 *   sends that notice after its own LMTP delivery, RFC 3461 §5.2.2).
 *
 * 250 once every recipient is delivered or durably queued; 451 when the queue cannot store the
 * message. If LMTP delivered some recipients before the enqueue failed, the client's retry can
 * give those a second copy unless the message carries its own Message-ID (the MDA drops repeats
 * of a Message-ID; one we add is new on every try): the documented window.
 */
import type { SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from "smtp-server";
import { toProtocolError, type MtaContext } from "../context.ts";
import { LmtpUnavailableError } from "../lmtp-client.ts";
import { containsNul, readMessage } from "../message/read.ts";
import { envelopeDsn, envelopeFlags, recipientDsn, wantsSuccessNotice } from "../queue-input.ts";
import type { DsnRecipient } from "../queue/types.ts";
import { clientFault, REPLIES, replyLine, serverFault } from "../replies.ts";
import { routeKey, type Transaction } from "../session.ts";
import { logTransaction, type TransactionRecord } from "../transaction-log.ts";
import { sessionUser } from "./mail-from.ts";
import { prepareSubmission } from "./prepare.ts";

export function submissionData(
  context: MtaContext,
  listener: "submission" | "submissions",
): NonNullable<SMTPServerOptions["onData"]> {
  return (stream, session, callback) => {
    const transaction = context.sessions.transaction(session);
    const envelope = session.envelope;
    const user = sessionUser(session);
    const record = {
      id: transaction.id,
      listener,
      from: envelope.mailFrom ? envelope.mailFrom.address : "",
      to: envelope.rcptTo.map((r) => r.address),
      startedAt: transaction.startedAt,
      ...(user ? { user: user.address } : {}),
    };
    const { log } = context.sessions.connection(session);
    submit(context, stream, session, transaction).then(
      (done) => {
        logTransaction(log, { ...record, ...done.log, reply: `250 ${done.reply}` });
        callback(null, done.reply);
      },
      (error: unknown) => {
        const refusal = toProtocolError(context, session, error, "data");
        logTransaction(log, {
          ...record,
          relay: "none",
          status: refusal.reply.code >= 500 ? "refused" : "deferred",
          reply: `${refusal.reply.code} ${refusal.message}`,
        });
        callback(refusal);
      },
    );
  };
}

interface Done {
  readonly reply: string;
  readonly log: Pick<TransactionRecord, "relay" | "status" | "size" | "queueId" | "dkim">;
}

async function submit(
  context: MtaContext,
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  transaction: Transaction,
): Promise<Done> {
  const { config } = context;
  const envelope = session.envelope;
  const user = sessionUser(session);
  const received = await readMessage(stream, config.limits.maxMessageBytes);
  if (received === undefined) {
    // smtp-server answers 552 5.3.4 itself (rejectOversized) whatever we say.
    throw clientFault({ code: 552, enhanced: "5.3.4", text: "Message too big" });
  }
  if (!user) throw clientFault(REPLIES.authRequired);
  if (containsNul(received)) throw clientFault(REPLIES.nulInMessage);

  const entries = envelope.rcptTo.flatMap((rcpt) => {
    const route = transaction.routes.get(routeKey(rcpt.address));
    return route ? [{ rcpt, route }] : [];
  });
  const prepared = await prepareSubmission(context, session, user, received, {
    id: transaction.id,
    recipients: entries.map((e) => e.route.address),
    leavesOurDomains: entries.some(
      (e) => e.route.kind === "remote" || e.route.remoteMembers.length > 0,
    ),
  });
  // Converted to 7 bit throughout (no UTF-8 header field left), BODY=8BITMIME no longer holds.
  const sevenBit = prepared.converted && !prepared.raw.some((byte) => byte > 0x7f);
  const flags = envelopeFlags(sevenBit ? { ...envelope, bodyType: "7bit" as const } : envelope);
  const from = envelope.mailFrom ? envelope.mailFrom.address : "";

  const direct = entries.filter((e) => e.route.kind === "local" && !wantsSuccessNotice(e.rcpt));
  const delivered = new Set<string>();
  if (direct.length > 0) {
    const { log } = context.sessions.connection(session);
    try {
      const replies = await context.lmtp.deliver({
        from,
        recipients: direct.map((e) => e.route.address),
        raw: prepared.raw,
        eightBit: envelope.bodyType === "8bitmime" && !sevenBit,
      });
      for (const reply of replies) {
        if (reply.code < 300) delivered.add(reply.address.toLowerCase());
        else log.info({ to: reply.address, reply: reply.response }, "MDA did not take it: queued");
      }
    } catch (error) {
      if (!(error instanceof LmtpUnavailableError)) throw error;
      log.warn({ err: error.message }, "MDA unavailable: local recipients queued");
    }
  }

  const queued = new Map<string, { readonly address: string } & DsnRecipient>();
  for (const { rcpt, route } of entries) {
    if (!delivered.has(route.address.toLowerCase())) {
      queued.set(route.address.toLowerCase(), { address: route.address, ...recipientDsn(rcpt) });
    }
    if (route.kind === "local") {
      for (const member of route.remoteMembers)
        queued.set(member.toLowerCase(), { address: member });
    }
  }
  let queueId: string | undefined;
  if (queued.size > 0) {
    const dsn = envelopeDsn(envelope);
    try {
      queueId = await context.queue.enqueue({
        from,
        recipients: [...queued.values()],
        raw: prepared.raw,
        ...(dsn ? { dsn } : {}),
        origin: { kind: "submission", user: user.address, remoteAddress: session.remoteAddress },
        ...(envelope.requireTLS ? { requireTls: true } : {}),
        ...flags,
      });
    } catch (error) {
      throw serverFault(REPLIES.queueUnavailable, error);
    }
  }
  const relay = queueId ? (delivered.size > 0 ? "mda+queue" : "queue") : "mda";
  return {
    reply: replyLine({
      code: 250,
      enhanced: "2.0.0",
      text: queueId ? `Ok: queued as ${queueId}` : `Ok: delivered as ${transaction.id}`,
    }),
    log: {
      relay,
      status: queueId ? "queued" : "delivered",
      size: prepared.raw.length,
      ...(queueId ? { queueId } : {}),
      dkim: prepared.dkim,
    },
  };
}
