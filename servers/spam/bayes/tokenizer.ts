/**
 * Tokens for the Bayes classifier, in the manner of SpamBayes' tokenizer: body words split on
 * white space (case folded, punctuation at the ends trimmed, long words summarized) and pairs of
 * adjacent words, words written in capitals once more as such, header fields with a prefix per
 * field so that "free" in a Subject and "free" in the body are different clues, the parts of
 * every link, and the MIME structure. Each choice was judged on held-out training mail
 * (bench/spam-tune.ts); HTML tag names and colours were tried and left out.
 *
 * A message gives each token once (a set): the classifier counts messages, not occurrences.
 *
 * Only the fields listed below are read. Fields our own hop or the recipient's mailbox add after
 * SMTP time (Delivered-To, Return-Path, X-Keywords, Status, Delivery-Date, other filters'
 * verdicts) are never tokens: they say nothing about the sender, and in a collected corpus they
 * leak how the collector sorted the mail. The envelope sender stands in for Return-Path.
 * Header field names as tokens were tried and left out (held-out training mail: they made spam
 * sent through mailing lists look like ham).
 */
import type { MailMessage } from "../message/parse.ts";
import { urlFacts } from "../message/urls.ts";

const MIN_WORD = 3;
const MAX_WORD = 12;
/** Tokens taken from one message; the rest of a huge message repeats itself. */
const MAX_TOKENS = 3000;
/** Body characters tokenized per part. */
const MAX_BODY_CHARS = 100_000;

/** Fields whose words are tokens, each with its own prefix. */
const WORD_FIELDS = ["subject"];
/** Fields whose addresses become tokens. */
const ADDRESS_FIELDS = ["from", "to", "cc", "reply-to", "sender", "errors-to"];
/** Fields kept whole (case folded, digits collapsed) as one token each. */
const WHOLE_FIELDS = [
  "x-mailer", "user-agent", "content-type", "content-transfer-encoding", "mime-version",
  "precedence", "x-priority", "x-msmail-priority", "importance", "organization", "list-id",
  "x-mailing-list", "mailing-list", "x-beenthere",
]; // prettier-ignore

export interface TokenizeOptions {
  /** The envelope sender (MAIL FROM), tokenized in place of Return-Path. */
  readonly mailFrom?: string;
}

export function tokenize(message: MailMessage, options: TokenizeOptions = {}): string[] {
  const out = new Set<string>();
  const add = (token: string): void => {
    if (out.size < MAX_TOKENS) out.add(token);
  };
  headerTokens(message, add);
  if (options.mailFrom !== undefined) {
    const domain = options.mailFrom.slice(options.mailFrom.lastIndexOf("@") + 1).toLowerCase();
    add(options.mailFrom === "" ? "mailfrom:null" : `mailfrom:${domain}`);
  }
  for (const type of message.leafTypes) add(`mime:${type}`);
  if (message.parts.length > 0 && message.parts.every((p) => p.subtype === "html"))
    add("mime:html-only");
  for (const attachment of message.attachments) {
    const ext = /\.([a-z0-9]{1,8})$/i.exec(attachment.filename)?.[1];
    add(`attachment:${ext ? ext.toLowerCase() : attachment.contentType}`);
  }
  for (const part of message.parts) {
    add(`charset:${part.charset.toLowerCase()}`);
    add(`encoding:${part.encoding}`);
    bodyTokens(part.text.slice(0, MAX_BODY_CHARS), add);
    if (part.html !== undefined) htmlTokens(part.html, add);
  }
  for (const link of message.links) linkTokens(link.url, add);
  return [...out];
}

function headerTokens(message: MailMessage, add: (t: string) => void): void {
  for (const name of WORD_FIELDS) {
    for (const value of message.headers(name)) {
      for (const word of words(value)) add(`${name}:${word}`);
      const upper = value.replace(/[^A-Za-z]/g, "");
      if (upper.length >= 8 && upper === upper.toUpperCase()) add(`${name}:all-caps`);
      for (const run of value.match(/[!$?%*]{2,}/g) ?? []) add(`${name}:punct:${run.slice(0, 3)}`);
    }
  }
  for (const name of ADDRESS_FIELDS) {
    const list = message.addresses(name);
    if (list.length === 0) continue;
    add(`${name}:count:${Math.min(list.length, 5)}`);
    for (const a of list.slice(0, 10)) {
      if (a.host === null) continue;
      add(`${name}:addr:${(a.mailbox ?? "").toLowerCase()}@${a.host.toLowerCase()}`);
      for (const suffix of domainSuffixes(a.host)) add(`${name}:domain:${suffix}`);
      add(a.name ? `${name}:name:${a.name.toLowerCase().slice(0, 40)}` : `${name}:no-name`);
    }
  }
  for (const name of WHOLE_FIELDS) {
    const value = message.header(name);
    if (value === undefined) continue;
    // Parameters other than the charset are per message (boundaries): only the value counts.
    const kept = name === "content-type" ? value.replace(/;(?!\s*charset)[^;]*/gi, "") : value;
    add(`${name}:${collapse(kept).slice(0, 60)}`);
  }
  const messageId = message.header("message-id");
  if (messageId !== undefined) {
    const host = /@([^>\s]+)/.exec(messageId)?.[1];
    add(host ? `message-id:@${collapse(host)}` : "message-id:invalid");
  }
  for (const received of message.headers("received").slice(0, 8)) {
    const from = /^\s*from\s+(\S+)(?:\s+\(([^)]*)\))?/i.exec(received);
    if (!from) continue;
    for (const suffix of domainSuffixes(from[1] ?? "")) add(`received:${suffix}`);
    for (const ip of (from[2] ?? "").match(/\d{1,3}\.\d{1,3}\.\d{1,3}/g) ?? [])
      add(`received:ip:${ip}`);
  }
}

/** "mail.lists.example.com" -> example.com, lists.example.com, mail.lists.example.com. */
function domainSuffixes(host: string): string[] {
  const labels = host
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, "")
    .split(".")
    .filter(Boolean);
  const out: string[] = [];
  for (let n = 2; n <= Math.min(labels.length, 4); n++) out.push(labels.slice(-n).join("."));
  return out;
}

/** Case folded, runs of digits as "#", white space collapsed. */
function collapse(value: string): string {
  return value.toLowerCase().replace(/\d+/g, "#").replace(/\s+/g, " ").trim();
}

function* words(text: string): Generator<string> {
  for (const raw of text.toLowerCase().split(/\s+/)) {
    const word = raw.replace(/^[("'<\[{*.,:;-]+|[)"'>\]},.:;-]+$/g, "");
    if (word.length >= MIN_WORD && word.length <= MAX_WORD) yield word;
  }
}

function bodyTokens(text: string, add: (t: string) => void): void {
  let prev = "";
  for (const raw of text.split(/\s+/)) {
    if (raw === "") continue;
    const lower = raw.toLowerCase();
    const word = lower.replace(/^[("'<\[{*.,:;-]+|[)"'>\]},.:;-]+$/g, "");
    // Shouting is a clue of its own: "FREE" is not quite "free".
    if (raw.length >= 4 && /^[A-Z][A-Z!$]+$/.test(raw)) add(`caps:${raw}`);
    const n = word.length;
    if (n < MIN_WORD) continue;
    if (word.includes("@") && /^[^@\s]+@[a-z0-9.-]+\.[a-z]{2,}$/.test(word)) {
      const [local = "", domain = ""] = word.split("@");
      add(`email:name:${local.slice(0, 20)}`);
      for (const suffix of domainSuffixes(domain)) add(`email:domain:${suffix}`);
      continue;
    }
    if (/^(https?|ftp):|^www\./.test(word)) continue; // links are tokenized from message.links
    if (n <= MAX_WORD) {
      add(word);
      if (prev !== "") add(`${prev} ${word}`);
      prev = word;
    } else {
      prev = "";
      // SpamBayes: a long word says little but its first letter and rough length.
      add(`skip:${word[0] ?? ""} ${Math.floor(n / 10) * 10}`);
      if (/[\x80-\uffff]/.test(word)) add("8bit:long-word");
    }
    if (/[^\x00-\x7f]/.test(raw) && n <= MAX_WORD)
      add(`8bit:${[...raw].filter((c) => c > "\x7f").length > n / 2 ? "mostly" : "some"}`);
  }
}

/**
 * Two markup habits of bulk mail as tokens: font sizes and hidden text. Tag names and colours
 * were tried and left out: on held-out training mail they made commercial newsletters that
 * people asked for (hard ham) look like spam more than they caught spam.
 */
function htmlTokens(html: string, add: (t: string) => void): void {
  const lower = html.slice(0, MAX_BODY_CHARS).toLowerCase();
  for (const m of lower.matchAll(/\bsize\s*=\s*["']?([+-]?\d)/g)) add(`html:size:${m[1]}`);
  if (/display\s*:\s*none|visibility\s*:\s*hidden/.test(lower)) add("html:hidden");
}

function linkTokens(url: string, add: (t: string) => void): void {
  const facts = urlFacts(url);
  if (!facts) {
    if (/^mailto:/i.test(url)) add("url:mailto");
    return;
  }
  add(`proto:${facts.scheme}`);
  if (facts.ipLiteral) add("url:ip");
  for (const o of facts.obfuscation) add(`url:obfuscated:${o}`);
  for (const suffix of domainSuffixes(facts.host)) add(`url:${suffix}`);
  for (const piece of facts.path
    .toLowerCase()
    .split(/[/.?=&_-]+/)
    .slice(0, 6)) {
    if (piece.length >= 2 && piece.length <= 20) add(`url:path:${piece.replace(/\d+/g, "#")}`);
  }
}
