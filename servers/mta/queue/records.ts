/**
 * What the spool stores per queue id, and the schemas that check it when it is read back:
 *
 *   the envelope, written once with the message (immutable): sender, recipients with their DSN
 *   parameters, RET/ENVID, origin, arrival time;
 *   the state, replaced atomically after every attempt: per recipient its status, attempts, next
 *   attempt, last result and which DSNs are due or sent.
 *
 * Recipients are matched by position: state.recipients[i] is envelope.recipients[i].
 */
import { z } from "zod";

const notifySchema = z.union([
  z.literal("never"),
  z.array(z.enum(["success", "failure", "delay"])).min(1),
]);

export const storedEnvelopeSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  from: z.string(),
  recipients: z
    .array(
      z.object({
        address: z.string().min(1),
        notify: notifySchema.optional(),
        orcpt: z.string().optional(),
      }),
    )
    .min(1),
  dsn: z
    .object({ ret: z.enum(["full", "headers"]).optional(), envid: z.string().optional() })
    .optional(),
  origin: z.object({
    kind: z.enum(["submission", "inbound", "bounce"]),
    user: z.string().optional(),
    remoteAddress: z.string().optional(),
  }),
  requireTls: z.boolean().optional(),
  /** The client sent SMTPUTF8 (RFC 6531): UTF-8 addresses or header fields may follow. */
  smtpUtf8: z.boolean().optional(),
  /** The client sent BODY=8BITMIME (RFC 6152). */
  eightBitMime: z.boolean().optional(),
  /** Epoch ms. */
  arrivedAt: z.number(),
  /** Bytes of the message. */
  size: z.number().int().nonnegative(),
});

export type StoredEnvelope = z.output<typeof storedEnvelopeSchema>;
export type StoredRecipient = StoredEnvelope["recipients"][number];

/** The outcome of the last attempt for one recipient, as DSNs and `mailstack queue show` tell it. */
const resultSchema = z.object({
  /** RFC 3463 enhanced status code, e.g. "4.4.1". */
  status: z.string(),
  /** The remote server's reply on one line ("550 5.1.1 no such user"), when it answered. */
  reply: z.string().optional(),
  /** What happened, for people (the reply, or our own reason such as a DNS failure). */
  text: z.string(),
  /** The remote host's name (Remote-MTA), or "[ip]". */
  remoteMta: z.string().optional(),
  /** host[ip]:port, as maillog shows it. */
  relay: z.string().optional(),
});

export type AttemptResult = z.output<typeof resultSchema>;

const noticeSchema = z.enum(["none", "due", "sent"]);
export type NoticeState = z.output<typeof noticeSchema>;

const recipientStateSchema = z.object({
  status: z.enum(["pending", "delivered", "failed", "expired"]),
  attempts: z.number().int().nonnegative(),
  /** Epoch ms; meaningful while pending. */
  nextAttemptAt: z.number(),
  lastAttemptAt: z.number().optional(),
  result: resultSchema.optional(),
  /** For a delivered recipient: delivered (LMTP, final) or relayed (to an MX without DSN). */
  action: z.enum(["delivered", "relayed"]).optional(),
  /** The delay warning (Action: delayed) for this recipient. */
  delayNotice: noticeSchema,
  /** The final DSN: failed/expired, or delivered/relayed with NOTIFY=SUCCESS. */
  finalNotice: noticeSchema,
});

export type RecipientState = z.output<typeof recipientStateSchema>;
export type RecipientStatus = RecipientState["status"];

export const messageStateSchema = z.object({
  v: z.literal(1),
  recipients: z.array(recipientStateSchema),
  /** DSNs generated so far; the next one gets queue id `<id>.n<noticeSeq>` (idempotent). */
  noticeSeq: z.number().int().nonnegative(),
});

export type MessageState = z.output<typeof messageStateSchema>;
