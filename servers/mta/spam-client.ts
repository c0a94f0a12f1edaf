/**
 * The client of the spam service. The contract (the service itself is written later, against
 * this file):
 *
 *   POST <url>
 *   Content-Type: message/rfc822
 *   Mailstack-Facts: base64url(JSON SpamFacts)    envelope and connection facts, UTF-8 safe
 *   <the raw message, as received, our untrusted fields removed>
 *
 *   200 application/json
 *   { "action": "reject" | "junk" | "greylist" | "accept", "score": number,
 *     "symbols": ["NAME", ...] | { "NAME": score, ... },
 *     "headers": [["Authentication-Results", "mail.example.com; spf=pass ..."], ...] }
 *
 * `greylist` asks the client to come back later (451 4.7.1, RFC 6647 §2.1). `headers` are fields
 * the MTA adds on top of the message (above its Received line, so the MDA
 * and readers can trust them); names must be field names, values one line or folded with CRLF
 * followed by white space. Anything else (a timeout, a refused connection, a non-200 status, a body
 * that does not match) makes the service "unavailable", and the caller applies its down-policy.
 */
import { z } from "zod";

export interface SpamFacts {
  /** Our transaction id, to match the service's log with ours. */
  readonly id: string;
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  readonly client: {
    readonly address: string;
    readonly helo: string;
    readonly tls: { readonly version: string; readonly cipher: string } | null;
  };
  /** The authenticated user, when the message came in by submission. */
  readonly user: string | null;
  /** Our host name, the authserv-id of Authentication-Results. */
  readonly hostname: string;
  readonly receivedAt: string;
}

export type SpamAction = "reject" | "junk" | "greylist" | "accept";

export type SpamVerdict =
  | {
      readonly kind: "verdict";
      readonly action: SpamAction;
      readonly score: number;
      readonly symbols: readonly string[];
      readonly headers: readonly [string, string][];
    }
  | { readonly kind: "unavailable"; readonly reason: string };

const FIELD_NAME = /^[!-9;-~]{1,76}$/;
/** A value on one line, or folded: every line break is CRLF followed by a space or a tab. */
const FIELD_VALUE = /^(?:[^\r\n]|\r\n[ \t])*$/;
const MAX_HEADERS = 20;
const MAX_VALUE_LENGTH = 8000;

const responseSchema = z.object({
  action: z.enum(["reject", "junk", "greylist", "accept"]),
  score: z.number().finite(),
  symbols: z
    .union([z.array(z.string()), z.record(z.string(), z.number())])
    .optional()
    .transform((s) => (s === undefined ? [] : Array.isArray(s) ? s : Object.keys(s))),
  headers: z
    .array(
      z.tuple([z.string().regex(FIELD_NAME), z.string().max(MAX_VALUE_LENGTH).regex(FIELD_VALUE)]),
    )
    .max(MAX_HEADERS)
    .default([]),
});

export interface SpamClientOptions {
  readonly url: string;
  readonly timeoutMs: number;
}

export class SpamClient {
  readonly #options: SpamClientOptions;

  constructor(options: SpamClientOptions) {
    this.#options = options;
  }

  /** Asks for a verdict; never throws: every failure is `unavailable` with the reason. */
  async check(raw: Uint8Array, facts: SpamFacts): Promise<SpamVerdict> {
    let response: Response;
    try {
      response = await fetch(this.#options.url, {
        method: "POST",
        headers: {
          "content-type": "message/rfc822",
          "mailstack-facts": Buffer.from(JSON.stringify(facts)).toString("base64url"),
        },
        body: raw,
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
    } catch (error) {
      return { kind: "unavailable", reason: describe(error) };
    }
    let body: unknown;
    try {
      if (response.status !== 200) {
        await response.body?.cancel();
        return { kind: "unavailable", reason: `HTTP ${response.status}` };
      }
      body = await response.json();
    } catch (error) {
      return { kind: "unavailable", reason: `unreadable answer: ${describe(error)}` };
    }
    const parsed = responseSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        kind: "unavailable",
        reason: `answer does not match the contract at ${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "?"}`,
      };
    }
    const { action, score, symbols, headers } = parsed.data;
    return {
      kind: "verdict",
      action,
      score,
      symbols,
      // Our verdict field is ours alone to write, even for the service.
      headers: headers.filter(([name]) => !/^x-mailstack-spam/i.test(name)),
    };
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError") return "timed out";
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return cause ? `${error.message} (${cause})` : error.message;
  }
  return String(error);
}

/** The value of our verdict field: `junk; score=7.20`, `ham; score=-1.00`, `unchecked; ...`. */
export function verdictValue(verdict: SpamVerdict): string {
  if (verdict.kind === "unavailable") return "unchecked; reason=spam service unavailable";
  const label = verdict.action === "accept" ? "ham" : verdict.action;
  return `${label}; score=${verdict.score.toFixed(2)}`;
}
