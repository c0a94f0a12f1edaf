/**
 * The classifier and its learning policy: chi-square combining, per-user models that change one
 * user's verdicts only, and the global model's protection (quorum of distinct users, majority,
 * daily cap per user, exact undo when the majority changes).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chi2Q, classify, tokenProbability } from "./chi2.ts";
import { GLOBAL_MODEL, userModel } from "./models.ts";
import { gardeningMessage, hamMessage, spamMessage, syntheticSeed } from "../testing/corpus.ts";
import { testEngine, type TestEngine } from "../testing/harness.ts";

const raw = (s: string): Buffer => Buffer.from(s);

function seeded(overrides: Record<string, unknown> = {}): TestEngine {
  const t = testEngine({}, { bayes: { minSpam: 5, minHam: 5, ...overrides } });
  t.engine.seed(syntheticSeed());
  return t;
}

const bayesSymbol = (hits: ReadonlyMap<string, string>): string =>
  [...hits.keys()].find((k) => k.startsWith("BAYES_")) ?? "none";

describe("chi-square combining (Robinson, Fisher; SpamBayes)", () => {
  it("chi2Q matches the chi-square survival function", () => {
    // P(X >= 2) with 2 degrees of freedom is e^-1.
    assert.ok(Math.abs(chi2Q(2, 2) - Math.exp(-1)) < 1e-12);
    assert.equal(chi2Q(0, 10), 1);
    assert.ok(chi2Q(200, 10) < 1e-30);
  });

  it("a token's probability leans to 0.5 when seen in few messages", () => {
    const totals = { spam: 100, ham: 100 };
    const once = tokenProbability({ spam: 1, ham: 0 }, totals);
    const often = tokenProbability({ spam: 50, ham: 0 }, totals);
    assert.ok(once > 0.5 && once < often && often < 1);
    assert.equal(tokenProbability({ spam: 0, ham: 0 }, totals), 0.5);
  });

  it("strong clues both ways make the score unsure, not extreme", () => {
    const counts = new Map([
      ["spammy", { spam: 90, ham: 0 }],
      ["hammy", { spam: 0, ham: 90 }],
    ]);
    const both = classify(["spammy", "hammy"], (t) => counts.get(t), { spam: 100, ham: 100 });
    assert.ok(Math.abs(both.score - 0.5) < 0.01);
    assert.ok(classify(["spammy"], (t) => counts.get(t), { spam: 100, ham: 100 }).score > 0.9);
  });
});

describe("classification", () => {
  it("silent until the models know enough of each class", async () => {
    const t = testEngine({}, { bayes: { minSpam: 5, minHam: 5 } });
    assert.equal(bayesSymbol((await t.check({ raw: spamMessage(99) })).hits), "none");
  });

  it("the global model tells spam from ham", async () => {
    const t = seeded();
    assert.equal(bayesSymbol((await t.check({ raw: spamMessage(100) })).hits), "BAYES_SPAM_99");
    assert.equal(bayesSymbol((await t.check({ raw: hamMessage(100) })).hits), "BAYES_HAM_99");
  });
});

describe("per-user learning", () => {
  it("changes that user's verdict, and nobody else's", async () => {
    const t = seeded();
    const alice = { rcptTo: ["alice@example.com"] };
    const bob = { rcptTo: ["bob@example.com"] };
    const before = await t.check({ ...alice, raw: gardeningMessage(50) });
    assert.equal(before.action, "accept");
    for (let i = 0; i < 4; i++) {
      const outcome = t.engine.learn({
        user: "alice@example.com",
        verdict: "spam",
        raw: raw(gardeningMessage(i)),
      });
      assert.equal(outcome.user, "learned");
      assert.equal(outcome.global, "unchanged", "one user alone never trains the global model");
    }
    const after = await t.check({ ...alice, raw: gardeningMessage(50) });
    assert.match(bayesSymbol(after.hits), /^BAYES_SPAM_9/);
    assert.equal(after.action, "junk");
    assert.match(after.hits.get(bayesSymbol(after.hits)) ?? "", /with the user's model/);
    const forBob = await t.check({ ...bob, raw: gardeningMessage(50) });
    assert.equal(forBob.action, "accept");
    // With two recipients the global model speaks alone.
    const both = await t.check({
      rcptTo: ["alice@example.com", "bob@example.com"],
      raw: gardeningMessage(50),
    });
    assert.equal(both.action, "accept");
  });

  it("learning the same message twice does nothing; the other verdict moves it", () => {
    const t = seeded();
    const m = raw(gardeningMessage(1));
    assert.equal(
      t.engine.learn({ user: "a@example.com", verdict: "spam", raw: m }).user,
      "learned",
    );
    assert.equal(
      t.engine.learn({ user: "A@example.com", verdict: "spam", raw: m }).user,
      "unchanged",
    );
    assert.deepEqual(t.engine.bayes.totals(userModel("a@example.com")), { spam: 1, ham: 0 });
    assert.equal(t.engine.learn({ user: "a@example.com", verdict: "ham", raw: m }).user, "moved");
    assert.deepEqual(t.engine.bayes.totals(userModel("a@example.com")), { spam: 0, ham: 1 });
  });
});

describe("the global model against poisoning", () => {
  it("learns a message only when globalQuorum distinct users agree", () => {
    const t = seeded({ globalQuorum: 3 });
    const m = raw(gardeningMessage(7));
    const before = t.engine.bayes.totals(GLOBAL_MODEL);
    assert.equal(
      t.engine.learn({ user: "u1@example.com", verdict: "spam", raw: m }).global,
      "unchanged",
    );
    assert.equal(
      t.engine.learn({ user: "u1@example.com", verdict: "spam", raw: m }).vote,
      "unchanged",
      "a repeat is not a second vote",
    );
    assert.equal(
      t.engine.learn({ user: "u2@example.com", verdict: "spam", raw: m }).global,
      "unchanged",
    );
    const third = t.engine.learn({ user: "u3@example.com", verdict: "spam", raw: m });
    assert.equal(third.global, "learned");
    assert.deepEqual(third.votes, { spam: 3, ham: 0 });
    assert.deepEqual(t.engine.bayes.totals(GLOBAL_MODEL), {
      spam: before.spam + 1,
      ham: before.ham,
    });
  });

  it("moves the message when the majority changes, undoing exactly what it learned", () => {
    const t = seeded({ globalQuorum: 2 });
    const m = raw(gardeningMessage(8));
    const before = t.engine.bayes.totals(GLOBAL_MODEL);
    t.engine.learn({ user: "u1@example.com", verdict: "spam", raw: m });
    assert.equal(
      t.engine.learn({ user: "u2@example.com", verdict: "spam", raw: m }).global,
      "learned",
    );
    t.engine.learn({ user: "u3@example.com", verdict: "ham", raw: m });
    assert.equal(
      t.engine.learn({ user: "u4@example.com", verdict: "ham", raw: m }).global,
      "forgotten",
      "a tie: out of the model",
    );
    assert.deepEqual(t.engine.bayes.totals(GLOBAL_MODEL), before);
    assert.equal(
      t.engine.learn({ user: "u5@example.com", verdict: "ham", raw: m }).global,
      "learned",
    );
    assert.deepEqual(t.engine.bayes.totals(GLOBAL_MODEL), {
      spam: before.spam,
      ham: before.ham + 1,
    });
  });

  it("caps one user's votes per day; beyond it the user still trains their own model", () => {
    const t = seeded({ globalQuorum: 1, votesPerUserPerDay: 2 });
    const outcomes = [0, 1, 2].map((i) =>
      t.engine.learn({
        user: "mallory@example.com",
        verdict: "ham",
        raw: raw(spamMessage(200 + i)),
      }),
    );
    assert.deepEqual(
      outcomes.map((o) => [o.vote, o.global]),
      [
        ["counted", "learned"],
        ["counted", "learned"],
        ["over-cap", "unchanged"],
      ],
    );
    assert.deepEqual(t.engine.bayes.totals(userModel("mallory@example.com")), { spam: 0, ham: 3 });
  });

  it("one user calling all spam ham moves nobody else's verdict (quorum 3)", async () => {
    const t = seeded({ globalQuorum: 3 });
    for (let i = 0; i < 20; i++)
      t.engine.learn({
        user: "mallory@example.com",
        verdict: "ham",
        raw: raw(spamMessage(300 + i)),
      });
    const other = await t.check({ rcptTo: ["victim@example.com"], raw: spamMessage(400) });
    assert.equal(bayesSymbol(other.hits), "BAYES_SPAM_99");
  });
});
