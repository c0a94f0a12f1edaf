/**
 * The spam filter without its HTTP skin: `check` runs every analyzer over one parse of the
 * message, scores the symbols (verdict.ts), applies greylisting, and returns the headers to
 * add; `learn` trains the user's model and votes for the global one (bayes/learning.ts).
 *
 * Analyzers run concurrently (most wait on DNS). One that fails is logged and adds nothing: a
 * broken check must not turn into a verdict.
 */
import { authenticate, type AuthenticateResult } from "mailauth";
import type { Logger } from "../shared/log.ts";
import { arcAnalyzer } from "./analyzers/arc.ts";
import { attachmentsAnalyzer } from "./analyzers/attachments.ts";
import { bayesAnalyzer } from "./analyzers/bayes.ts";
import {
  once,
  type AnalysisContext,
  type Analyzer,
  type CheckFacts,
  type SymbolHit,
} from "./analyzers/context.ts";
import { dkimAnalyzer } from "./analyzers/dkim.ts";
import { dmarcAnalyzer } from "./analyzers/dmarc.ts";
import { dnsblAnalyzer } from "./analyzers/dnsbl.ts";
import { domainBlocklistAnalyzer } from "./analyzers/domain-blocklist.ts";
import { gtubeAnalyzer } from "./analyzers/gtube.ts";
import { headersAnalyzer } from "./analyzers/headers.ts";
import { heloAnalyzer } from "./analyzers/helo.ts";
import { mimeAnalyzer } from "./analyzers/mime.ts";
import { ngramAnalyzer } from "./analyzers/ngram.ts";
import { receivedAnalyzer } from "./analyzers/received.ts";
import { spfAnalyzer } from "./analyzers/spf.ts";
import { urlsAnalyzer } from "./analyzers/urls.ts";
import { virusAnalyzer } from "./analyzers/virus.ts";
import { learnMessage, messageDigest, seedGlobal, type LearnOutcome } from "./bayes/learning.ts";
import { BayesModels, type Verdict as LearnVerdict } from "./bayes/models.ts";
import { tokenize } from "./bayes/tokenizer.ts";
import type { ClamdClient } from "./clamd.ts";
import type { SpamConfig } from "./config.ts";
import type { Database } from "./database.ts";
import type { DnsResolve } from "./dns-cache.ts";
import { Greylist } from "./greylist.ts";
import { parseMail, type MailMessage } from "./message/parse.ts";
import { features } from "./ngram/features.ts";
import { NgramModels } from "./ngram/models.ts";
import { inNetworks } from "./networks.ts";
import { decide, spamStatusValue, type Verdict } from "./verdict.ts";

export const ANALYZERS: readonly Analyzer[] = [
  spfAnalyzer,
  dkimAnalyzer,
  dmarcAnalyzer,
  arcAnalyzer,
  dnsblAnalyzer,
  domainBlocklistAnalyzer,
  headersAnalyzer,
  receivedAnalyzer,
  heloAnalyzer,
  mimeAnalyzer,
  attachmentsAnalyzer,
  urlsAnalyzer,
  gtubeAnalyzer,
  bayesAnalyzer,
  ngramAnalyzer,
  virusAnalyzer,
];

export interface EngineDeps {
  readonly db: Database;
  readonly resolve: DnsResolve;
  readonly log: Logger;
  readonly clamd?: ClamdClient;
  /** The clock; tests move it. */
  readonly now?: () => Date;
}

export interface CheckResult extends Verdict {
  readonly headers: readonly [string, string][];
}

export interface SeedMessage {
  readonly raw: Buffer;
  readonly verdict: LearnVerdict;
  /** The envelope sender; default the message's Return-Path. */
  readonly mailFrom?: string;
}

export interface SpamEngine {
  check(facts: CheckFacts): Promise<CheckResult>;
  learn(request: {
    readonly user: string;
    readonly verdict: LearnVerdict;
    readonly raw: Buffer;
  }): LearnOutcome;
  /** Trains the global models on the operator's corpus (bayes/learning.ts seedGlobal). */
  seed(messages: Iterable<SeedMessage>): number;
  readonly bayes: BayesModels;
  readonly ngram: NgramModels;
}

export function createEngine(config: SpamConfig, deps: EngineDeps): SpamEngine {
  const now = deps.now ?? (() => new Date());
  const bayes = new BayesModels(deps.db, config.bayes);
  const ngram = new NgramModels(deps.db);
  const greylist = config.greylist.enabled ? new Greylist(deps.db, config.greylist) : undefined;
  const analyzerDeps = {
    resolve: deps.resolve,
    bayes,
    ngram,
    now,
    log: deps.log,
    ...(deps.clamd ? { clamd: deps.clamd } : {}),
  };

  async function check(facts: CheckFacts): Promise<CheckResult> {
    const message = parseMail(facts.raw);
    const hits: SymbolHit[] = [];
    const trusted = inNetworks(facts.clientAddress, config.trustedNetworks);
    const authentication = once(() => authenticateMessage(config, facts, deps.resolve));
    const context: AnalysisContext = {
      facts,
      message,
      config,
      deps: analyzerDeps,
      trusted,
      user: facts.rcptTo.length === 1 ? facts.rcptTo[0]?.toLowerCase() : undefined,
      authentication,
      add: (name, detail) => {
        hits.push(detail === undefined ? { name } : { name, detail: oneLine(detail) });
      },
    };
    await Promise.all(
      ANALYZERS.map(async (analyzer) => {
        try {
          await analyzer.run(context);
        } catch (error) {
          deps.log.warn(
            { analyzer: analyzer.name, err: (error as Error).message },
            "analyzer failed",
          );
        }
      }),
    );
    let verdict = decide(config, hits, facts.rcptTo);
    const greylistable =
      greylist !== undefined &&
      !trusted &&
      !facts.authenticatedUser &&
      (verdict.action === "accept" || verdict.action === "junk") &&
      verdict.score >= config.greylist.minScore;
    if (greylistable) {
      const decision = greylist.check(
        facts.clientAddress,
        facts.mailFrom,
        facts.rcptTo,
        now().getTime() / 1000,
      );
      if (decision.greylisted) {
        hits.push({ name: "GREYLISTED", detail: `retry in ${decision.retryAfter}s` });
        verdict = decide(config, hits, facts.rcptTo);
      }
    }
    const headers: [string, string][] = [];
    const auth = await authentication().catch(() => undefined);
    const ar = auth && authenticationResults(auth);
    if (ar) headers.push(["Authentication-Results", ar]);
    headers.push(["X-Spam-Status", spamStatusValue(verdict)]);
    return { ...verdict, headers };
  }

  function learn(request: { user: string; verdict: LearnVerdict; raw: Buffer }): LearnOutcome {
    const message = parseMail(request.raw);
    return learnMessage(bayes, ngram, config.bayes, {
      user: request.user,
      verdict: request.verdict,
      digest: messageDigest(message),
      tokens: tokenize(message, { mailFrom: returnPath(message.header("return-path")) }),
      features: features(message),
      now: Math.floor(now().getTime() / 1000),
    });
  }

  function seed(messages: Iterable<SeedMessage>): number {
    const prepared = function* () {
      for (const m of messages) {
        const message: MailMessage = parseMail(m.raw);
        const mailFrom = m.mailFrom ?? returnPath(message.header("return-path"));
        yield {
          tokens: tokenize(message, { mailFrom }),
          features: features(message),
          verdict: m.verdict,
        };
      }
    };
    return seedGlobal(bayes, ngram, prepared());
  }

  return { check, learn, seed, bayes, ngram };
}

function authenticateMessage(
  config: SpamConfig,
  facts: CheckFacts,
  resolve: DnsResolve,
): Promise<AuthenticateResult> {
  return authenticate(facts.raw, {
    sender: facts.mailFrom,
    ip: facts.clientAddress.replace(/^::ffff:(?=\d+\.)/i, ""),
    helo: facts.helo,
    mta: config.hostname,
    resolver: resolve,
    disableBimi: true,
  });
}

/** The value of mailauth's Authentication-Results field (RFC 8601), folding kept. */
export function authenticationResults(result: AuthenticateResult): string | undefined {
  const match = /(?:^|\r?\n)Authentication-Results:[ \t]*((?:[^\r\n]|\r?\n[ \t])*)/i.exec(
    result.headers,
  );
  return match?.[1]?.replace(/\r?\n/g, "\r\n");
}

/** The envelope sender recorded by final delivery, for messages learned after delivery. */
function returnPath(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return /<([^>]*)>/.exec(value)?.[1] ?? value.trim();
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, " ").slice(0, 200);
}
