/**
 * Features of the second content classifier: the character 4-grams of what the sender wrote,
 * hashed into 2^20 buckets (FNV-1a), each counted once per message. Character n-grams see what
 * word tokens miss (obfuscated spellings, markup residue, punctuation habits) and were what the
 * best filters of the TREC spam tracks used (Sculley and Wachman, "Relaxed Online SVMs for Spam
 * Filtering", SIGIR 2007; Goodman and Yih, "Online Discriminative Spam Filter Training", 2006).
 *
 * The text is a few sender-written header fields and the decoded text of the body, cut at
 * MAX_CHARS. Trace and delivery fields (Received, Return-Path, Delivered-To, Date, mailbox
 * flags) are left out: they describe the path and the time, not the sender, and in a collected
 * corpus they tell how and when the collector got the mail. Digits in Message-ID are masked
 * for the same reason (they are timestamps).
 */
import type { MailMessage } from "../message/parse.ts";

export const FEATURE_BITS = 20;
export const FEATURE_SPACE = 1 << FEATURE_BITS;
const N = 4;
/** Characters read per message; the first few thousand carry the evidence (held-out tuning). */
const MAX_CHARS = 3000;

const FIELDS = new Set([
  "from", "to", "cc", "subject", "reply-to", "sender", "errors-to", "content-type",
  "content-transfer-encoding", "mime-version", "x-mailer", "user-agent", "precedence",
  "organization", "x-priority", "x-msmail-priority", "importance", "list-id", "message-id",
]); // prettier-ignore

export function featureText(message: MailMessage): string {
  let text = "";
  for (const field of message.fields) {
    if (!FIELDS.has(field.name)) continue;
    const value = field.name === "message-id" ? field.value.replace(/[0-9]/g, "9") : field.value;
    text += `${field.name}: ${value}\n`;
    if (text.length >= MAX_CHARS) return text.slice(0, MAX_CHARS);
  }
  text += "\n";
  for (const part of message.parts) {
    text += `${part.text}\n`;
    if (text.length >= MAX_CHARS) break;
  }
  return text.slice(0, MAX_CHARS);
}

/** The distinct hashed 4-grams of the message, ascending. */
export function features(message: MailMessage): Uint32Array {
  const text = featureText(message);
  const seen = new Set<number>();
  for (let i = 0; i + N <= text.length; i++) {
    let h = 0x811c9dc5;
    for (let j = i; j < i + N; j++) {
      h ^= text.charCodeAt(j);
      h = Math.imul(h, 0x01000193);
    }
    seen.add((h >>> 0) & (FEATURE_SPACE - 1));
  }
  return Uint32Array.from(seen).sort();
}
