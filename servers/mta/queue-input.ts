/**
 * RFC 3461 DSN parameters as smtp-server parsed them (NOTIFY and ORCPT per RCPT, RET and ENVID
 * on MAIL), in the queue's terms, so a bounce or a success notice honours what the sender asked;
 * and the SMTPUTF8 / BODY=8BITMIME flags of MAIL FROM, which the queue passes on.
 */
import type { SMTPServerAddress, SMTPServerEnvelope } from "smtp-server";
import type { DsnRecipient, EnqueueInput } from "./queue/types.ts";

type Notify = "success" | "failure" | "delay";

export function recipientDsn(rcpt: SMTPServerAddress | undefined): DsnRecipient {
  const notify = rcpt?.dsn?.notify?.map((n) => n.toLowerCase());
  const orcpt = rcpt?.dsn?.orcpt;
  return {
    ...(notify === undefined
      ? {}
      : {
          notify: notify.includes("never")
            ? ("never" as const)
            : notify.filter((n): n is Notify => ["success", "failure", "delay"].includes(n)),
        }),
    ...(orcpt === undefined ? {} : { orcpt }),
  };
}

/** True when the sender asked to hear of a successful delivery (NOTIFY=SUCCESS). */
export function wantsSuccessNotice(rcpt: SMTPServerAddress | undefined): boolean {
  return rcpt?.dsn?.notify?.some((n) => n.toUpperCase() === "SUCCESS") ?? false;
}

/** SMTPUTF8 and BODY=8BITMIME as the client declared them, kept for the next hop. */
export function envelopeFlags(
  envelope: SMTPServerEnvelope,
): Pick<EnqueueInput, "smtpUtf8" | "eightBitMime"> {
  return {
    ...(envelope.smtpUtf8 === true ? { smtpUtf8: true } : {}),
    ...(envelope.bodyType === "8bitmime" ? { eightBitMime: true } : {}),
  };
}

export function envelopeDsn(envelope: SMTPServerEnvelope): EnqueueInput["dsn"] {
  const ret = envelope.dsn?.ret?.toUpperCase();
  const envid = envelope.dsn?.envid ?? undefined;
  if (ret === undefined && envid === undefined) return undefined;
  return {
    ...(ret === "FULL"
      ? { ret: "full" as const }
      : ret === "HDRS"
        ? { ret: "headers" as const }
        : {}),
    ...(envid === undefined ? {} : { envid }),
  };
}
