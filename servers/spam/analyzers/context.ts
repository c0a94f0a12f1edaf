/**
 * What an analyzer sees and the one thing it does: add symbols. An analyzer never scores and
 * never decides; scores.ts and verdict.ts do. Work several analyzers need (sender
 * authentication, the classifier's tokens) is computed once, lazily, through the context.
 */
import type { AuthenticateResult } from "mailauth";
import type { Logger } from "../../shared/log.ts";
import type { BayesModels } from "../bayes/models.ts";
import type { ClamdClient } from "../clamd.ts";
import type { SpamConfig } from "../config.ts";
import type { DnsResolve } from "../dns-cache.ts";
import type { MailMessage } from "../message/parse.ts";
import type { NgramModels } from "../ngram/models.ts";
import type { SymbolName } from "../scores.ts";

/** The envelope and connection facts the MTA sends with the message. */
export interface CheckFacts {
  readonly raw: Buffer;
  /** MAIL FROM, "" for the null sender. */
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  readonly clientAddress: string;
  readonly helo: string;
  readonly tls?: { readonly version?: string; readonly cipher?: string } | null;
  /** The SMTP AUTH user, when the message came by submission. */
  readonly authenticatedUser?: string | null;
}

export interface AnalyzerDeps {
  readonly resolve: DnsResolve;
  readonly bayes: BayesModels;
  readonly ngram: NgramModels;
  readonly clamd?: ClamdClient;
  readonly now: () => Date;
  readonly log: Logger;
}

export interface SymbolHit {
  readonly name: SymbolName;
  readonly detail?: string;
}

export interface AnalysisContext {
  readonly facts: CheckFacts;
  readonly message: MailMessage;
  readonly config: SpamConfig;
  readonly deps: AnalyzerDeps;
  /** The client is in trustedNetworks: no SPF, HELO or blocklist judgement of it. */
  readonly trusted: boolean;
  /** The user whose own model joins the global one (a single recipient), if any. */
  readonly user: string | undefined;
  /** sender authentication by mailauth, run at most once per message. */
  authentication(): Promise<AuthenticateResult>;
  add(name: SymbolName, detail?: string): void;
}

export interface Analyzer {
  readonly name: string;
  run(context: AnalysisContext): Promise<void> | void;
}

/** Runs `compute` on first call only; later calls get the same promise. */
export function once<T>(compute: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= compute());
}
