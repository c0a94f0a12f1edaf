/**
 * From symbols to a verdict: the scores of the symbols (scores.ts, with the stack's overrides)
 * are added up, the total is compared with the thresholds of the recipients' domains, and a
 * symbol that forces an action raises the result to it.
 *
 * Several recipients in domains with different thresholds get one answer (SMTP accepts or
 * refuses the message once, after DATA): the mildest of their domains' actions, so that no
 * domain has mail refused that it would have accepted.
 */
import type { SpamConfig } from "./config.ts";
import type { SymbolHit } from "./analyzers/context.ts";
import {
  SYMBOLS,
  moreSevere,
  scoreOf,
  type Action,
  type SymbolName,
  ACTION_ORDER,
} from "./scores.ts";

export interface ScoredSymbol {
  readonly name: SymbolName;
  readonly score: number;
  readonly detail?: string;
}

export interface Verdict {
  readonly action: Action;
  /** Rounded to hundredths. */
  readonly score: number;
  readonly symbols: readonly ScoredSymbol[];
  /** The junk threshold that applied (for X-Spam-Status "required="). */
  readonly required: number;
}

export interface Thresholds {
  readonly junk: number;
  readonly reject: number;
}

export function thresholdsFor(config: SpamConfig, domain: string | undefined): Thresholds {
  const own = domain === undefined ? undefined : config.domainThresholds[domain.toLowerCase()];
  return {
    junk: own?.junk ?? config.thresholds.junk,
    reject: own?.reject ?? config.thresholds.reject,
  };
}

export function actionFor(score: number, thresholds: Thresholds): Action {
  if (score >= thresholds.reject) return "reject";
  if (score >= thresholds.junk) return "junk";
  return "accept";
}

export function decide(
  config: SpamConfig,
  hits: readonly SymbolHit[],
  recipients: readonly string[],
): Verdict {
  const symbols: ScoredSymbol[] = hits.map((h) => ({
    name: h.name,
    score: scoreOf(h.name, config.scores),
    ...(h.detail === undefined ? {} : { detail: h.detail }),
  }));
  symbols.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
  const score = Math.round(symbols.reduce((sum, s) => sum + s.score, 0) * 100) / 100;

  const domains = [
    ...new Set(recipients.map((r) => r.slice(r.lastIndexOf("@") + 1).toLowerCase())),
  ];
  const perDomain = (domains.length > 0 ? domains : [undefined]).map((d) =>
    thresholdsFor(config, d),
  );
  let action: Action = "reject";
  let required = Infinity;
  for (const t of perDomain) {
    const a = actionFor(score, t);
    if (ACTION_ORDER.indexOf(a) < ACTION_ORDER.indexOf(action)) action = a;
    required = Math.min(required, t.junk);
  }
  for (const s of symbols) {
    const forced: Action | undefined = (SYMBOLS[s.name] as { action?: Action }).action;
    if (forced !== undefined) action = moreSevere(action, forced);
  }
  return { action, score, symbols, required };
}

/** SpamAssassin's summary field, which mail clients and Sieve scripts already understand. */
export function spamStatusValue(verdict: Verdict): string {
  const flagged = verdict.action === "junk" || verdict.action === "reject";
  const tests = verdict.symbols.map((s) => s.name).join(",") || "none";
  return `${flagged ? "Yes" : "No"}, score=${verdict.score.toFixed(2)} required=${verdict.required.toFixed(2)}\r\n\ttests=${tests}`;
}
