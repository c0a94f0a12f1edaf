/**
 * The life of one recipient, as pure functions of (state, outcome, now): retry with exponential
 * backoff, expiry, delay warnings and which DSNs become due (RFC 3461 NOTIFY). No I/O here.
 */
import type {
  AttemptResult,
  MessageState,
  RecipientState,
  StoredEnvelope,
  StoredRecipient,
} from "./records.ts";

export interface RetryPolicy {
  readonly retry: {
    readonly firstSeconds: number;
    readonly factor: number;
    readonly maxSeconds: number;
  };
  readonly expirySeconds: number;
  /** 0 disables delay warnings. */
  readonly delayWarningSeconds: number;
}

/** What one delivery attempt did for one recipient. */
export type Outcome =
  | {
      readonly kind: "delivered";
      /**
       * delivered: final delivery (LMTP); relayed: handed to an MX that does not speak DSN, so a
       * NOTIFY=SUCCESS sender hears from us (RFC 3461 §6.2.6.2); handed-off: the MX speaks DSN
       * and received NOTIFY/ORCPT, any further DSN is its job (RFC 3461 §4.2).
       */
      readonly action: "delivered" | "relayed" | "handed-off";
      readonly result: AttemptResult;
    }
  | { readonly kind: "temporary"; readonly result: AttemptResult }
  | { readonly kind: "permanent"; readonly result: AttemptResult };

type Notify = "success" | "failure" | "delay";

/** RFC 3461 §4.1: without NOTIFY, the MTA reports failures and (our choice) delays. */
export function wants(recipient: StoredRecipient, what: Notify): boolean {
  const notify = recipient.notify;
  if (notify === undefined) return what !== "success";
  if (notify === "never") return false;
  return notify.includes(what);
}

export function initialState(envelope: StoredEnvelope): MessageState {
  return {
    v: 1,
    noticeSeq: 0,
    recipients: envelope.recipients.map(() => ({
      status: "pending",
      attempts: 0,
      nextAttemptAt: envelope.arrivedAt,
      delayNotice: "none",
      finalNotice: "none",
    })),
  };
}

/** Delay before attempt n+1 after n failed attempts: first * factor^(n-1), capped at max. */
export function backoffMs(attempts: number, policy: RetryPolicy): number {
  const { firstSeconds, factor, maxSeconds } = policy.retry;
  const seconds = Math.min(firstSeconds * factor ** Math.max(attempts - 1, 0), maxSeconds);
  return Math.round(seconds * 1000);
}

export interface TransitionContext {
  readonly now: number;
  readonly envelope: StoredEnvelope;
  readonly policy: RetryPolicy;
}

/** The recipient's state after `outcome`, with the DSNs it makes due. */
export function applyOutcome(
  recipient: StoredRecipient,
  state: RecipientState,
  outcome: Outcome,
  ctx: TransitionContext,
): RecipientState {
  const { now, envelope, policy } = ctx;
  // RFC 5321 §4.5.5 and RFC 3464 §2: nothing is ever sent to the null reverse-path, which is
  // what keeps bounces from looping.
  const canNotify = envelope.from !== "";
  const attempted = {
    ...state,
    attempts: state.attempts + 1,
    lastAttemptAt: now,
    result: outcome.result,
  };
  switch (outcome.kind) {
    case "delivered": {
      const reports = outcome.action !== "handed-off" && canNotify && wants(recipient, "success");
      return {
        ...attempted,
        status: "delivered",
        ...(outcome.action === "handed-off" ? {} : { action: outcome.action }),
        finalNotice: reports ? "due" : "none",
      };
    }
    case "permanent":
      return {
        ...attempted,
        status: "failed",
        finalNotice: canNotify && wants(recipient, "failure") ? "due" : "none",
      };
    case "temporary": {
      const expiresAt = envelope.arrivedAt + policy.expirySeconds * 1000;
      if (now >= expiresAt) {
        return {
          ...attempted,
          status: "expired",
          finalNotice: canNotify && wants(recipient, "failure") ? "due" : "none",
        };
      }
      const warnAfter = policy.delayWarningSeconds * 1000;
      const warn =
        warnAfter > 0 &&
        state.delayNotice === "none" &&
        now - envelope.arrivedAt >= warnAfter &&
        canNotify &&
        wants(recipient, "delay");
      return {
        ...attempted,
        status: "pending",
        // The last attempt happens at the expiry time, not a full backoff after it.
        nextAttemptAt: Math.min(now + backoffMs(attempted.attempts, policy), expiresAt),
        delayNotice: warn ? "due" : state.delayNotice,
      };
    }
  }
}

export function isFinal(state: RecipientState): boolean {
  return state.status !== "pending";
}

export function noticesDue(state: MessageState): boolean {
  return state.recipients.some((r) => r.delayNotice === "due" || r.finalNotice === "due");
}

/** True when nothing is left to do for the message: it can leave the spool. */
export function isDone(state: MessageState): boolean {
  return state.recipients.every(isFinal) && !noticesDue(state);
}

/** When the message next needs attention (epoch ms), or undefined when it is done. */
export function nextDueAt(state: MessageState, now: number): number | undefined {
  if (noticesDue(state)) return now;
  let next: number | undefined;
  for (const r of state.recipients) {
    if (r.status === "pending" && (next === undefined || r.nextAttemptAt < next)) {
      next = r.nextAttemptAt;
    }
  }
  if (next === undefined) return isDone(state) ? now : undefined;
  return next;
}

/** Makes every pending recipient due now (operator retry). */
export function retryNow(state: MessageState, now: number): MessageState {
  return {
    ...state,
    recipients: state.recipients.map((r) =>
      r.status === "pending" ? { ...r, nextAttemptAt: Math.min(r.nextAttemptAt, now) } : r,
    ),
  };
}
