/**
 * From a message's state to the DSN it owes its sender (at most one per round: failures,
 * delays and success reports of that round together, each recipient with its own Action).
 *
 * The DSN is enqueued under a queue id derived from the message's id and its notice counter
 * (`<id>.n<seq>`), created exclusively, before the state records it as sent. After a crash in
 * between, the same DSN is generated again under the same id, the exclusive create finds it
 * already there, and the sender gets it once.
 */
import type { QueueConfig } from "./config.ts";
import { buildDsn, type DsnRecipient } from "./dsn.ts";
import { FAILURES } from "../outbound/results.ts";
import type { MessageState, StoredEnvelope } from "./records.ts";

export interface PendingNotice {
  readonly recipients: readonly DsnRecipient[];
  /** Whether any recipient of it failed (RET applies to failure reports, RFC 3461 §4.3). */
  readonly failure: boolean;
}

/** The recipients whose DSN is due, as the DSN will report them; undefined when none. */
export function pendingNotice(
  envelope: StoredEnvelope,
  state: MessageState,
  config: Pick<QueueConfig, "expirySeconds">,
): PendingNotice | undefined {
  const recipients: DsnRecipient[] = [];
  envelope.recipients.forEach((recipient, i) => {
    const s = state.recipients[i];
    if (!s) return;
    const common = {
      address: recipient.address,
      ...(recipient.orcpt ? { orcpt: recipient.orcpt } : {}),
      ...(s.result?.remoteMta ? { remoteMta: s.result.remoteMta } : {}),
      ...(s.result?.reply ? { reply: s.result.reply } : {}),
      ...(s.result?.text ? { text: s.result.text } : {}),
      ...(s.lastAttemptAt === undefined ? {} : { lastAttemptAt: s.lastAttemptAt }),
    };
    if (s.finalNotice === "due") {
      if (s.status === "failed") {
        recipients.push({ ...common, action: "failed", status: s.result?.status ?? "5.0.0" });
      } else if (s.status === "expired") {
        // RFC 3463 X.4.7: the reason is the age; the last error stays in Diagnostic-Code.
        recipients.push({ ...common, action: "failed", status: FAILURES.expired.status });
      } else if (s.status === "delivered") {
        recipients.push({
          ...common,
          action: s.action === "relayed" ? "relayed" : "delivered",
          status: s.result?.status ?? "2.0.0",
        });
      }
    } else if (s.delayNotice === "due" && s.status === "pending") {
      recipients.push({
        ...common,
        action: "delayed",
        status: delayedStatus(s.result?.status),
        willRetryUntil: envelope.arrivedAt + config.expirySeconds * 1000,
      });
    }
  });
  if (recipients.length === 0) return undefined;
  return { recipients, failure: recipients.some((r) => r.action === "failed") };
}

/** The state once the pending notice went out: due notices become sent, the counter moves on. */
export function markNoticesSent(state: MessageState): MessageState {
  return {
    ...state,
    noticeSeq: state.noticeSeq + 1,
    recipients: state.recipients.map((r) => ({
      ...r,
      finalNotice: r.finalNotice === "due" ? "sent" : r.finalNotice,
      // A delay warning overtaken by the final report is not sent separately.
      delayNotice: r.delayNotice === "due" ? "sent" : r.delayNotice,
    })),
  };
}

/** The DSN message for a pending notice. */
export function noticeMessage(
  queueId: string,
  envelope: StoredEnvelope,
  notice: PendingNotice,
  original: Uint8Array,
  config: Pick<QueueConfig, "hostname" | "bounceFullMaxBytes">,
  now: number,
): Buffer {
  // Failures return the message unless RET=HDRS or it is too large; delays and success
  // reports carry the header only (RFC 3461 §4.3 leaves it to us; Postfix does the same).
  const full =
    notice.failure &&
    envelope.dsn?.ret !== "headers" &&
    original.byteLength <= config.bounceFullMaxBytes;
  return buildDsn({
    reportingMta: config.hostname,
    queueId,
    to: envelope.from,
    ...(envelope.dsn?.envid ? { envid: envelope.dsn.envid } : {}),
    arrivedAt: envelope.arrivedAt,
    recipients: notice.recipients,
    original,
    returnContent: full ? "full" : "headers",
    now,
  });
}

/** A delayed recipient's status is a 4.x.x (RFC 3464 §2.3.4), whatever the last attempt said. */
function delayedStatus(status: string | undefined): string {
  return status?.startsWith("4.") ? status : "4.0.0";
}
