/**
 * Port 25, end of DATA: the message is read whole (over SIZE: smtp-server answers 552 5.3.4 once
 * it is drained), refused with NUL octets, cleared of fields only we may write, judged by the spam
 * service, given its verdict and our Received line on top, and handed to the MDA over LMTP while
 * the client waits. The client's reply is the MDA's answer, folded as lmtp-outcome.ts explains:
 * 250 only when the mail is delivered (or, for a partial refusal, safely queued).
 */
import type { SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from "smtp-server";
import { toProtocolError, type MtaContext } from "../context.ts";
import { LmtpUnavailableError, type RecipientReply } from "../lmtp-client.ts";
import { foldReplies, type LmtpOutcome } from "../lmtp-outcome.ts";
import { prependFields } from "../message/headers.ts";
import { containsNul, readMessage } from "../message/read.ts";
import { receivedValue } from "../message/trace.ts";
import { stripUntrustedFields, VERDICT_FIELD } from "../message/untrusted-fields.ts";
import { envelopeDsn, envelopeFlags, recipientDsn } from "../queue-input.ts";
import { clientFault, ProtocolError, REPLIES, replyLine, serverFault } from "../replies.ts";
import { routeKey, type Transaction } from "../session.ts";
import { verdictValue } from "../spam-client.ts";
import { srsForward } from "../srs.ts";
import { logTransaction, type TransactionRecord } from "../transaction-log.ts";
import { sessionTls } from "../tls-facts.ts";

export function inboundData(context: MtaContext): NonNullable<SMTPServerOptions["onData"]> {
  return (stream, session, callback) => {
    const transaction = context.sessions.transaction(session);
    const envelope = session.envelope;
    const record: Omit<TransactionRecord, "relay" | "status" | "reply"> = {
      id: transaction.id,
      listener: "smtp",
      from: envelope.mailFrom ? envelope.mailFrom.address : "",
      to: envelope.rcptTo.map((r) => r.address),
      startedAt: transaction.startedAt,
    };
    const { log } = context.sessions.connection(session);
    receive(context, stream, session, transaction).then(
      (done) => {
        logTransaction(log, { ...record, ...done.log, reply: `250 ${done.reply}` });
        callback(null, done.reply);
      },
      (error: unknown) => {
        const refusal = toProtocolError(context, session, error, "data");
        const status = refusal.reply.code >= 500 ? "refused" : "deferred";
        logTransaction(log, {
          ...record,
          relay: "none",
          status,
          reply: `${refusal.reply.code} ${refusal.message}`,
        });
        callback(refusal);
      },
    );
  };
}

interface Done {
  readonly reply: string;
  readonly log: Omit<TransactionRecord, "id" | "listener" | "from" | "to" | "startedAt" | "reply">;
}

async function receive(
  context: MtaContext,
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  transaction: Transaction,
): Promise<Done> {
  const { config } = context;
  const envelope = session.envelope;
  const received = await readMessage(stream, config.limits.maxMessageBytes);
  if (received === undefined) {
    // smtp-server answers 552 5.3.4 itself (rejectOversized) whatever we say.
    throw clientFault({ code: 552, enhanced: "5.3.4", text: "Message too big" });
  }
  if (containsNul(received)) throw clientFault(REPLIES.nulInMessage);
  const { raw } = stripUntrustedFields(received, config.hostname);
  const from = envelope.mailFrom ? envelope.mailFrom.address : "";
  const tls = sessionTls(session);

  const trusted: [string, string][] = [];
  let spam: string | undefined;
  if (context.spam) {
    const verdict = await context.spam.check(raw, {
      id: transaction.id,
      envelope: { from, to: envelope.rcptTo.map((r) => r.address) },
      client: {
        address: session.remoteAddress,
        helo: session.hostNameAppearsAs || "",
        tls: tls ?? null,
      },
      user: null,
      hostname: config.hostname,
      receivedAt: new Date().toISOString(),
    });
    spam = verdictValue(verdict);
    if (verdict.kind === "unavailable") {
      context.sessions
        .connection(session)
        .log.warn({ reason: verdict.reason }, "spam service unavailable");
      if (config.spam?.whenDown === "tempfail") throw serverFault(REPLIES.spamUnavailable);
    } else if (verdict.action === "reject") {
      throw clientFault(REPLIES.spamRejected);
    } else if (verdict.action === "greylist") {
      throw clientFault(REPLIES.greylisted);
    }
    trusted.push([VERDICT_FIELD, spam]);
    if (verdict.kind === "verdict") trusted.push(...verdict.headers);
  }

  const routes = envelope.rcptTo.flatMap((rcpt) => {
    const route = transaction.routes.get(routeKey(rcpt.address));
    return route?.kind === "local" ? [{ rcpt, route }] : [];
  });
  // Bounces to our SRS return addresses, going back to the original sender (srs.ts).
  const returned = envelope.rcptTo.flatMap((rcpt) => {
    const route = transaction.routes.get(routeKey(rcpt.address));
    return route?.kind === "remote" ? [route.address] : [];
  });
  const message = prependFields(raw, [
    ...trusted,
    [
      "Received",
      receivedValue({
        helo: session.hostNameAppearsAs || "",
        remoteAddress: session.remoteAddress,
        hostname: config.hostname,
        id: transaction.id,
        date: new Date(),
        ehlo: session.openingCommand === "EHLO",
        tls,
        user: undefined,
        utf8: envelope.smtpUtf8 === true,
        recipients: routes.map((r) => r.route.address),
      }),
    ],
  ]);

  let replies: RecipientReply[] = [];
  if (routes.length > 0) {
    try {
      replies = await context.lmtp.deliver({
        from,
        recipients: routes.map((r) => r.route.address),
        raw: message,
        eightBit: envelope.bodyType === "8bitmime",
      });
    } catch (error) {
      if (error instanceof LmtpUnavailableError) {
        throw serverFault(REPLIES.deliveryDeferred, error);
      }
      throw error;
    }
  }
  const outcome: LmtpOutcome = routes.length > 0 ? foldReplies(replies) : { kind: "delivered" };
  if (outcome.kind === "deferred") {
    throw serverFault(outcome.reply, new Error(replies.map((r) => r.response).join("; ")));
  }
  if (outcome.kind === "refused") throw new ProtocolError(outcome.reply, true);

  // After 250 the message is ours (RFC 5321 §6.1): what the MDA refused for good, and a group's
  // members beyond our domains, go to the queue.
  const refused = new Set(
    outcome.kind === "partial" ? outcome.refused.map((r) => r.address.toLowerCase()) : [],
  );
  const queued = new Map<string, ReturnType<typeof recipientDsn> & { address: string }>();
  for (const { rcpt, route } of routes) {
    if (refused.has(route.address.toLowerCase())) {
      queued.set(route.address.toLowerCase(), { address: route.address, ...recipientDsn(rcpt) });
    }
    for (const member of route.remoteMembers) {
      queued.set(member.toLowerCase(), { address: member });
    }
  }
  for (const address of returned) queued.set(address.toLowerCase(), { address });
  let queueId: string | undefined;
  if (queued.size > 0) {
    try {
      queueId = await context.queue.enqueue({
        // Forwarded with our SRS address as sender, so SPF passes at the receiver; our own DSNs
        // for it go to the original sender (main.ts: the queue's returnPath).
        from: context.srs ? srsForward(from, context.srs, config.domains) : from,
        recipients: [...queued.values()],
        raw: message,
        ...(envelopeDsn(envelope) ? { dsn: envelopeDsn(envelope) } : {}),
        ...envelopeFlags(envelope),
        origin: { kind: "inbound", remoteAddress: session.remoteAddress },
      });
    } catch (error) {
      // The MDA has its copies; the client's retry meets its Message-ID dedupe.
      throw serverFault(REPLIES.queueUnavailable, error);
    }
  }
  return {
    reply: replyLine({
      code: 250,
      enhanced: "2.0.0",
      text:
        routes.length === 0
          ? `Ok: queued as ${queueId ?? "?"}`
          : queueId
            ? `Ok: delivered as ${transaction.id}, queued as ${queueId}`
            : `Ok: delivered as ${transaction.id}`,
    }),
    log: {
      relay: routes.length === 0 ? "queue" : queueId ? "mda+queue" : "mda",
      status: routes.length === 0 ? "queued" : "delivered",
      size: message.length,
      ...(queueId ? { queueId } : {}),
      ...(spam ? { spam } : {}),
    },
  };
}
