/**
 * The one table of the spam filter: every symbol an analyzer may add, its score, and for a few
 * the action it forces whatever the total (Stalwart's shape: analyzers only tag, this table
 * judges). A stack may override any score in config (`scores`); an unknown name is a config
 * error, so a typo cannot silently do nothing.
 *
 * Scores are added up; the total is compared with the thresholds (config.ts). Negative scores
 * are evidence of ham. The classifier rows were chosen on held-out training mail of the
 * SpamAssassin corpus (bench/spam-tune.ts, 4-fold cross-validation of the train rows), never
 * on its test rows; the rule rows are small so that no rule alone reaches the junk threshold,
 * except the ones that name a sure thing.
 */

export type Action = "reject" | "greylist" | "junk" | "accept";

export interface SymbolDefinition {
  readonly score: number;
  /** An action this symbol forces, whatever the total. */
  readonly action?: Exclude<Action, "accept" | "junk">;
  readonly description: string;
}

export const SYMBOLS = {
  // --- sender authentication (analyzers/spf.ts, dkim.ts, dmarc.ts, arc.ts) ---
  SPF_PASS: { score: -0.5, description: "SPF (RFC 7208): the client may send for the MAIL FROM domain" },
  SPF_FAIL: { score: 2.5, description: "SPF: the domain says the client may not send for it" },
  SPF_SOFTFAIL: { score: 1.0, description: "SPF: the domain says the client is probably not allowed" },
  SPF_NEUTRAL: { score: 0, description: "SPF: the domain makes no assertion" },
  SPF_NONE: { score: 0.3, description: "SPF: the MAIL FROM domain publishes no SPF record" },
  SPF_PERMERROR: { score: 0.5, description: "SPF: the domain's record is broken" },
  SPF_TEMPERROR: { score: 0, description: "SPF: DNS failed for now" },
  DKIM_VALID: { score: -0.5, description: "DKIM (RFC 6376): a signature verified" },
  DKIM_INVALID: { score: 1.5, description: "DKIM: a signature is present and does not verify" },
  DKIM_TEMPERROR: { score: 0, description: "DKIM: the key could not be fetched for now" },
  DMARC_PASS: { score: -1.0, description: "DMARC (RFC 7489): an aligned SPF or DKIM pass" },
  DMARC_FAIL_REJECT: { score: 8.0, action: "reject", description: "DMARC failed and the domain asks for reject" },
  DMARC_FAIL_QUARANTINE: { score: 6.0, description: "DMARC failed and the domain asks for quarantine" },
  DMARC_FAIL_NONE: { score: 1.0, description: "DMARC failed; the domain asks for no action" },
  DMARC_TEMPERROR: { score: 0, description: "DMARC: DNS failed for now" },
  DMARC_BAD_FROM: { score: 2.0, description: "DMARC cannot apply: no From domain, several, or several From fields" },
  ARC_PASS: { score: -0.2, description: "ARC (RFC 8617): the chain of custody verifies" },
  ARC_FAIL: { score: 1.0, description: "ARC: a chain is present and broken" },

  // --- blocklists (analyzers/dnsbl.ts, domain-blocklist.ts); no zone is queried unless configured ---
  RBL_LISTED: { score: 5.0, description: "The client address is listed in a DNS blocklist" },
  DBL_SENDER: { score: 3.0, description: "A sender domain (MAIL FROM, From, Reply-To) is listed" },
  DBL_URL: { score: 4.0, description: "A domain linked from the message is listed" },

  // --- header sanity (analyzers/headers.ts, received.ts, helo.ts) ---
  MISSING_DATE: { score: 1.0, description: "No Date field (RFC 5322 §3.6 requires one)" },
  INVALID_DATE: { score: 2.0, description: "The Date field does not parse as RFC 5322 §3.3" },
  DATE_IN_FUTURE: { score: 1.5, description: "Dated more than a day ahead" },
  MISSING_MESSAGE_ID: { score: 0.5, description: "No Message-ID field" },
  INVALID_MESSAGE_ID: { score: 1.5, description: "The Message-ID is not <left@right> (RFC 5322 §3.6.4)" },
  MISSING_FROM: { score: 2.0, description: "No From field" },
  FROM_NAME_HAS_ADDRESS: { score: 2.0, description: "The From display name shows an address other than the real one" },
  REPLY_TO_MISMATCH: { score: 0.3, description: "Reply-To goes to another domain than From (and no mailing list)" },
  RECEIVED_FORGED_HOP: { score: 3.0, description: "A Received field below ours claims to be from our own host" },
  RECEIVED_DATE_DISORDER: { score: 1.0, description: "Received dates run backwards by more than a day" },
  HELO_BARE_IP: { score: 1.5, description: "HELO is an IP address without brackets (RFC 5321 §4.1.3)" },
  HELO_NOT_FQDN: { score: 1.0, description: "HELO is not a fully qualified domain name" },
  HELO_NO_RESOLVE: { score: 1.0, description: "HELO names a host that does not exist in DNS" },

  // --- MIME (analyzers/mime.ts, attachments.ts) ---
  MIME_HTML_ONLY: { score: 0.5, description: "Only HTML text, no plain text alternative" },
  MIME_ALTERNATIVE_MISMATCH: { score: 0.5, description: "The plain and HTML alternatives say different things" },
  DANGEROUS_ATTACHMENT: { score: 6.0, description: "An attachment (or archive member) with an executable type" },
  ENCRYPTED_ARCHIVE: { score: 4.0, description: "A password-protected archive, which scanners cannot open" },

  // --- links (analyzers/urls.ts) ---
  URL_IP_LITERAL: { score: 1.5, description: "A link goes to a bare IP address" },
  URL_OBFUSCATED: { score: 2.5, description: "A link hides its host (user@host, percent-encoding, numeric IP)" },
  URL_TEXT_MISMATCH: { score: 0.5, description: "A link's text shows one domain and the link goes to another" },
  URL_SHORTENER: { score: 0.5, description: "A link goes through a URL shortener" },

  // --- content (analyzers/gtube.ts, bayes.ts, ngram.ts): two classifiers, each alone short of
  // the junk threshold when sure, together over it; a classifier's certainty plus rules too ---
  GTUBE: { score: 0, action: "reject", description: "The Generic Test for Unsolicited Bulk Email" },
  BAYES_HAM_99: { score: -2.0, description: "Bayes: spam probability < 1%" },
  BAYES_HAM_95: { score: -1.5, description: "Bayes: spam probability 1-5%" },
  BAYES_HAM_80: { score: -0.5, description: "Bayes: spam probability 5-20%" },
  BAYES_UNSURE: { score: 0, description: "Bayes: 20-50%" },
  BAYES_SPAM_50: { score: 1.5, description: "Bayes: 50-80%" },
  BAYES_SPAM_80: { score: 3.0, description: "Bayes: 80-90%" },
  BAYES_SPAM_90: { score: 4.0, description: "Bayes: 90-95%" },
  BAYES_SPAM_95: { score: 4.5, description: "Bayes: 95-99%" },
  BAYES_SPAM_99: { score: 5.0, description: "Bayes: spam probability >= 99%" },
  NGRAM_HAM_99: { score: -2.0, description: "The n-gram model: spam probability < 1%" },
  NGRAM_HAM_95: { score: -1.5, description: "The n-gram model: 1-5%" },
  NGRAM_HAM_80: { score: -0.5, description: "The n-gram model: 5-20%" },
  NGRAM_UNSURE: { score: 0, description: "The n-gram model: 20-50%" },
  NGRAM_SPAM_50: { score: 1.5, description: "The n-gram model: 50-80%" },
  NGRAM_SPAM_80: { score: 3.0, description: "The n-gram model: 80-90%" },
  NGRAM_SPAM_90: { score: 4.0, description: "The n-gram model: 90-95%" },
  NGRAM_SPAM_95: { score: 4.5, description: "The n-gram model: 95-99%" },
  NGRAM_SPAM_99: { score: 5.0, description: "The n-gram model: spam probability >= 99%" },

  // --- virus scanning (analyzers/virus.ts) and greylisting (greylist.ts) ---
  VIRUS_FOUND: { score: 0, action: "reject", description: "clamd found malware" },
  VIRUS_SCAN_FAILED: { score: 0, description: "clamd could not scan the message" },
  GREYLISTED: { score: 0, action: "greylist", description: "First attempt of this sender to this recipient from this network (RFC 6647)" },
} as const satisfies Record<string, SymbolDefinition>; // prettier-ignore

export type SymbolName = keyof typeof SYMBOLS;

export const SYMBOL_NAMES = Object.keys(SYMBOLS) as SymbolName[];

export function isSymbolName(name: string): name is SymbolName {
  return Object.hasOwn(SYMBOLS, name);
}

/** The score of a symbol, with the stack's overrides applied. */
export function scoreOf(
  name: SymbolName,
  overrides: Readonly<Partial<Record<string, number>>>,
): number {
  return overrides[name] ?? SYMBOLS[name].score;
}

/** Actions from the mildest to the most severe; a forced action only ever raises the result. */
export const ACTION_ORDER: readonly Action[] = ["accept", "junk", "greylist", "reject"];

export function moreSevere(a: Action, b: Action): Action {
  return ACTION_ORDER.indexOf(a) >= ACTION_ORDER.indexOf(b) ? a : b;
}
