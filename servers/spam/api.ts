/**
 * The HTTP contract of the spam service. All bodies are JSON unless said otherwise; every error
 * is `{ "error": { "code": "<stable code>", "message": "..." } }` (errors.ts).
 *
 * POST /check: a verdict for one message, asked by the MTA after DATA.
 *
 *   Request, form 1 (Content-Type: application/json):
 *     { "raw": base64 of the message as received,
 *       "mailFrom": "a@example.org" ("" for the null sender),
 *       "rcptTo": ["b@example.com", ...],
 *       "clientAddress": "192.0.2.1", "helo": "mail.example.org",
 *       "tls": { "version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384" } | null,
 *       "user": "authenticated SMTP user" | null (optional),
 *       "id": "the MTA's transaction id, for the log" (optional) }
 *   Request, form 2 (Content-Type: message/rfc822; what servers/mta/spam-client.ts sends): the
 *     raw message as the body, and the facts in the header
 *     `Mailstack-Facts: base64url(JSON { id, envelope: { from, to }, client: { address, helo,
 *     tls }, user, hostname, receivedAt })`. No base64 inflation of the message.
 *
 *   Answer 200:
 *     { "action": "reject" | "junk" | "greylist" | "accept",
 *       "score": 7.2, "required": 6,
 *       "symbols": [{ "name": "BAYES_SPAM_99", "score": 7, "detail": "99.8%" }, ...],
 *       "headers": [["Authentication-Results", "mx.example.com; spf=pass ..."],
 *                   ["X-Spam-Status", "Yes, score=7.20 required=6.00\r\n\ttests=..."]] }
 *   To form 2 the symbols are an object `{ "NAME": score }` with the details beside it in
 *   `symbolDetails: { "NAME": "detail" }`, the shape spam-client.ts reads.
 *   `headers` are fields to add on top of the message; values are one line or folded with CRLF
 *   followed by white space. `greylist` means: answer 451 4.7.1 and let the client retry.
 *
 * POST /learn: a user moved a message into Junk ("spam") or out of it ("ham").
 *   Request: { "user": "b@example.com", "verdict": "spam" | "ham", "raw": base64 }
 *   Answer 200: { "user": "learned" | "moved" | "unchanged",
 *                 "vote": "counted" | "unchanged" | "over-cap",
 *                 "global": "learned" | "moved" | "forgotten" | "unchanged",
 *                 "votes": { "spam": n, "ham": n } }
 *
 * GET /health: 200 { "status": "ok" } while the service can answer.
 */
import { isIP } from "node:net";
import { z } from "zod";
import type { Action } from "./scores.ts";

const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/, { message: "expected base64" })
  .transform((s) => Buffer.from(s, "base64"));

const ipAddress = z.string().refine((a) => isIP(a.replace(/^::ffff:(?=\d+\.)/i, "")) !== 0, {
  message: "expected an IP address",
});

/** A mailbox as SMTP carries it: local@domain, or "" for the null reverse-path. */
const mailbox = z.string().max(512);

const tlsSchema = z
  .strictObject({ version: z.string().max(64).optional(), cipher: z.string().max(128).optional() })
  .nullable()
  .optional();

export const checkRequestSchema = z.strictObject({
  raw: base64,
  mailFrom: mailbox,
  rcptTo: z.array(mailbox.min(1)).min(1).max(1000),
  clientAddress: ipAddress,
  helo: z.string().max(255),
  tls: tlsSchema,
  user: z.string().max(512).nullable().optional(),
  id: z.string().max(128).optional(),
});

export type CheckRequest = z.output<typeof checkRequestSchema>;

/** The facts header of form 2, as servers/mta/spam-client.ts writes it. */
export const mtaFactsSchema = z.object({
  id: z.string().max(128).optional(),
  envelope: z.object({ from: mailbox, to: z.array(mailbox.min(1)).min(1).max(1000) }),
  client: z.object({
    address: ipAddress,
    helo: z.string().max(255),
    tls: z
      .object({ version: z.string().max(64), cipher: z.string().max(128) })
      .nullable()
      .optional(),
  }),
  user: z.string().max(512).nullable().optional(),
});

export const FACTS_HEADER = "mailstack-facts";

export const learnRequestSchema = z.strictObject({
  user: z
    .string()
    .min(3)
    .max(512)
    .regex(/^[^@\s]+@[^@\s]+$/, { message: "expected an email address" }),
  verdict: z.enum(["spam", "ham"]),
  raw: base64,
});

export type LearnRequest = z.output<typeof learnRequestSchema>;

export interface SymbolOut {
  readonly name: string;
  readonly score: number;
  readonly detail?: string;
}

/** The answer to form 1. */
export interface CheckResponse {
  readonly action: Action;
  readonly score: number;
  readonly required: number;
  readonly symbols: readonly SymbolOut[];
  readonly headers: readonly (readonly [string, string])[];
}

/** The answer to form 2: symbols keyed by name. */
export interface CheckResponseCompact extends Omit<CheckResponse, "symbols"> {
  readonly symbols: Readonly<Record<string, number>>;
  readonly symbolDetails: Readonly<Record<string, string>>;
}

export function compactResponse(response: CheckResponse): CheckResponseCompact {
  const symbols: Record<string, number> = {};
  const symbolDetails: Record<string, string> = {};
  for (const s of response.symbols) {
    symbols[s.name] = (symbols[s.name] ?? 0) + s.score;
    if (s.detail !== undefined) symbolDetails[s.name] = s.detail;
  }
  return { ...response, symbols, symbolDetails };
}
