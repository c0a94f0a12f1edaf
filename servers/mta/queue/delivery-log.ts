/**
 * One log line per recipient per delivery attempt, with the facts operators know from Postfix's
 * maillog (`to=<..>, relay=.., delay=.., dsn=.., status=sent (..)`), as structured fields:
 *
 *   {"qid":"...","from":"a@x","to":"b@y","relay":"mx.y[192.0.2.1]:25","delay":1.2,
 *    "attempt":1,"status":"sent","dsn":"2.0.0","reply":"250 2.0.0 queued as 1234","msg":"delivery"}
 *
 * delay is seconds since the message arrived (like maillog's delay=); status is sent, deferred,
 * bounced or expired.
 */
import type { Logger } from "../../shared/log.ts";
import type { RecipientState } from "./records.ts";

export type DeliveryStatus = "sent" | "deferred" | "bounced" | "expired";

export function deliveryStatus(state: RecipientState): DeliveryStatus {
  switch (state.status) {
    case "delivered":
      return "sent";
    case "pending":
      return "deferred";
    case "failed":
      return "bounced";
    case "expired":
      return "expired";
  }
}

export function logDelivery(
  log: Logger,
  facts: {
    readonly qid: string;
    readonly from: string;
    readonly to: string;
    readonly arrivedAt: number;
    readonly now: number;
    readonly state: RecipientState;
  },
): void {
  const { state } = facts;
  const status = deliveryStatus(state);
  const line = {
    qid: facts.qid,
    from: facts.from === "" ? "<>" : facts.from,
    to: facts.to,
    relay: state.result?.relay ?? "none",
    delay: Math.round((facts.now - facts.arrivedAt) / 100) / 10,
    attempt: state.attempts,
    status,
    dsn: state.result?.status,
    reply: state.result?.text,
    ...(status === "deferred" ? { nextAttempt: new Date(state.nextAttemptAt).toISOString() } : {}),
  };
  if (status === "sent") log.info(line, "delivery");
  else log.warn(line, "delivery");
}
