/**
 * What one `/learn` call does, and how the global models are kept from one user's poisoning.
 * Both content classifiers learn on the same events: Bayes (models.ts) and the n-gram model
 * (../ngram/models.ts).
 *
 * - The user's own models learn the message at once. Learning the same message again with the
 *   same verdict does nothing; with the other verdict the message moves to the other class
 *   (the user moved it back out of Junk).
 * - The same call is the user's vote on the message for the global models. A message joins the
 *   global models only when at least `globalQuorum` distinct users voted for one class and more
 *   voted for it than for the other; when the majority changes later, Bayes moves the message
 *   exactly (the tokens it was learned with are kept for that) and the n-gram model is taught
 *   the new majority (an online model cannot unlearn; a tie teaches it nothing). One user, or a
 *   few who disagree with the rest, can never put a message into the global models.
 * - A user's votes toward the global model are capped per day (`votesPerUserPerDay`): a
 *   compromised account that "learns" thousands of messages still trains only itself beyond it.
 *
 * A message is known by its digest: Message-ID and body bytes, which are the same in every
 * recipient's copy while the header above them (Received, Delivered-To) is not.
 */
import { createHash } from "node:crypto";
import { transaction } from "../database.ts";
import type { MailMessage } from "../message/parse.ts";
import type { NgramModels } from "../ngram/models.ts";
import { GLOBAL_MODEL, userModel, type BayesModels, type Verdict } from "./models.ts";

export interface LearningPolicy {
  readonly globalQuorum: number;
  readonly votesPerUserPerDay: number;
}

export interface LearnRequest {
  readonly user: string;
  readonly verdict: Verdict;
  readonly digest: string;
  readonly tokens: readonly string[];
  /** The message's n-gram features (../ngram/features.ts). */
  readonly features: Uint32Array;
  /** Seconds since the epoch. */
  readonly now: number;
}

export interface LearnOutcome {
  /** What the user's model did. */
  readonly user: "learned" | "moved" | "unchanged";
  /** What the user's vote did: counted, already cast, or over the daily cap. */
  readonly vote: "counted" | "unchanged" | "over-cap";
  /** What the global model did after the vote. */
  readonly global: "learned" | "moved" | "forgotten" | "unchanged";
  readonly votes: { readonly spam: number; readonly ham: number };
}

export function messageDigest(message: MailMessage): string {
  const hash = createHash("sha256");
  hash.update(message.header("message-id") ?? "");
  hash.update("\0");
  hash.update(message.raw.subarray(message.headerBytes));
  return hash.digest("base64url");
}

const DAY = 86_400;

export function learnMessage(
  models: BayesModels,
  ngram: NgramModels,
  policy: LearningPolicy,
  request: LearnRequest,
): LearnOutcome {
  const db = models.db;
  const { verdict, digest, tokens, features, now } = request;
  const user = request.user.toLowerCase();
  const findLearned = db.prepare(
    "SELECT verdict, tokens FROM learned WHERE model = ? AND digest = ?",
  );
  const saveLearned = db.prepare(
    `INSERT INTO learned (model, digest, verdict, tokens, at) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (model, digest) DO UPDATE SET verdict = ?3, tokens = ?4, at = ?5`,
  );
  return transaction(db, (): LearnOutcome => {
    // 1. The user's own model.
    const model = userModel(user);
    const mine = findLearned.get(model, digest) as { verdict: Verdict } | undefined;
    let userOutcome: LearnOutcome["user"] = "unchanged";
    if (mine?.verdict !== verdict) {
      if (mine) models.train(model, tokens, mine.verdict, -1);
      models.train(model, tokens, verdict, 1);
      ngram.learnUser(user, features, verdict);
      saveLearned.run(model, digest, verdict, null, now);
      userOutcome = mine ? "moved" : "learned";
    }

    // 2. The user's vote.
    const existing = db
      .prepare("SELECT verdict FROM votes WHERE digest = ? AND user = ?")
      .get(digest, user) as { verdict: Verdict } | undefined;
    let vote: LearnOutcome["vote"] = "unchanged";
    if (existing?.verdict !== verdict) {
      const recent = db
        .prepare("SELECT COUNT(*) AS n FROM votes WHERE user = ? AND at > ? AND digest <> ?")
        .get(user, now - DAY, digest) as { n: number };
      if (recent.n >= policy.votesPerUserPerDay) vote = "over-cap";
      else {
        db.prepare(
          `INSERT INTO votes (digest, user, verdict, at) VALUES (?1, ?2, ?3, ?4)
           ON CONFLICT (digest, user) DO UPDATE SET verdict = ?3, at = ?4`,
        ).run(digest, user, verdict, now);
        vote = "counted";
      }
    }

    // 3. The global model follows the votes.
    const tally = db
      .prepare(
        `SELECT COALESCE(SUM(verdict = 'spam'), 0) AS spam, COALESCE(SUM(verdict = 'ham'), 0) AS ham
         FROM votes WHERE digest = ?`,
      )
      .get(digest) as { spam: number; ham: number };
    const target = majority(tally, policy.globalQuorum);
    const current = findLearned.get(GLOBAL_MODEL, digest) as
      { verdict: Verdict; tokens: string } | undefined;
    let global: LearnOutcome["global"] = "unchanged";
    if (target !== current?.verdict) {
      if (current)
        models.train(GLOBAL_MODEL, JSON.parse(current.tokens) as string[], current.verdict, -1);
      if (target) {
        models.train(GLOBAL_MODEL, tokens, target, 1);
        ngram.learnGlobal(features, target);
        saveLearned.run(GLOBAL_MODEL, digest, target, JSON.stringify(tokens), now);
        global = current ? "moved" : "learned";
      } else {
        db.prepare("DELETE FROM learned WHERE model = ? AND digest = ?").run(GLOBAL_MODEL, digest);
        global = "forgotten";
      }
    }
    return { user: userOutcome, vote, global, votes: { spam: tally.spam, ham: tally.ham } };
  });
}

function majority(tally: { spam: number; ham: number }, quorum: number): Verdict | undefined {
  if (tally.spam >= quorum && tally.spam > tally.ham) return "spam";
  if (tally.ham >= quorum && tally.ham > tally.spam) return "ham";
  return undefined;
}

/**
 * Trains the global models directly, without votes: the operator's seed corpus (what `sa-learn`
 * run by an administrator does). Not reachable over HTTP. The n-gram model is trained on the
 * whole corpus anew (several passes), so seed once with everything.
 */
export function seedGlobal(
  models: BayesModels,
  ngram: NgramModels,
  messages: Iterable<{
    readonly tokens: readonly string[];
    readonly features: Uint32Array;
    readonly verdict: Verdict;
  }>,
): number {
  const all = [...messages];
  transaction(models.db, () => {
    for (const m of all) models.train(GLOBAL_MODEL, m.tokens, m.verdict, 1);
    ngram.seed(all);
  });
  return all.length;
}
