/**
 * The n-gram classifier: features, seed training, a user's correction that moves look-alike
 * mail and not the rest, and a second process seeing the global model change.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openDatabase } from "../database.ts";
import { parseMail } from "../message/parse.ts";
import { gardeningMessage, hamMessage, spamMessage } from "../testing/corpus.ts";
import { message } from "../testing/harness.ts";
import { FEATURE_SPACE, featureText, features } from "./features.ts";
import { NgramModels } from "./models.ts";

const f = (raw: string): Uint32Array => features(parseMail(Buffer.from(raw)));

function seeded(db = openDatabase(":memory:")): NgramModels {
  const models = new NgramModels(db);
  models.seed([
    ...Array.from({ length: 30 }, (_, i) => ({
      features: f(hamMessage(i)),
      verdict: "ham" as const,
    })),
    ...Array.from({ length: 30 }, (_, i) => ({
      features: f(spamMessage(i)),
      verdict: "spam" as const,
    })),
  ]);
  return models;
}

describe("n-gram features", () => {
  it("reads sender-written fields and the body, not trace fields; masks Message-ID digits", () => {
    const raw =
      "Received: from x by y; Tue, 4 Mar 2025 10:00:00 +0000\r\nDelivered-To: u@example.com\r\n" +
      message({ headers: { "Message-ID": "<20250304.123@example.org>" } });
    const text = featureText(parseMail(Buffer.from(raw)));
    assert.match(text, /^from: Sender <sender@example\.org>\n/);
    assert.match(text, /message-id: <99999999\.999@example\.org>/);
    assert.match(text, /Shall we meet at noon/);
    assert.doesNotMatch(text, /received|delivered-to|date:/i);
  });

  it("distinct, sorted, within the feature space, the same every time", () => {
    const a = f(message());
    assert.deepEqual(a, f(message()));
    assert.ok(a.every((x, i) => x < FEATURE_SPACE && (i === 0 || x > (a[i - 1] ?? -1))));
    assert.ok(a.length > 50);
  });
});

describe("n-gram model", () => {
  it("is silent before seeding, then tells spam from ham", () => {
    const db = openDatabase(":memory:");
    assert.equal(new NgramModels(db).classify(f(spamMessage(1))), undefined);
    const models = seeded(db);
    assert.ok((models.classify(f(spamMessage(100)))?.probability ?? 0) > 0.9);
    assert.ok((models.classify(f(hamMessage(100)))?.probability ?? 1) < 0.1);
  });

  it("a user's lessons move look-alike mail for that user only, and little else", () => {
    const models = seeded();
    const before = models.classify(f(gardeningMessage(50)), "alice@example.com")?.probability ?? 1;
    const hamBefore = models.classify(f(hamMessage(200)), "alice@example.com")?.probability ?? 1;
    for (let i = 0; i < 4; i++)
      models.learnUser("alice@example.com", f(gardeningMessage(i)), "spam");
    const after = models.classify(f(gardeningMessage(50)), "alice@example.com");
    assert.ok(after?.personal);
    assert.ok(
      (after?.probability ?? 0) > before && (after?.probability ?? 0) > 0.5,
      `${before} -> ${after?.probability}`,
    );
    assert.equal(
      models.classify(f(gardeningMessage(50)), "bob@example.com")?.probability,
      models.classify(f(gardeningMessage(50)))?.probability,
    );
    const hamAfter = models.classify(f(hamMessage(200)), "alice@example.com")?.probability ?? 1;
    assert.ok(hamAfter < 0.1, `unrelated ham stays ham: ${hamBefore} -> ${hamAfter}`);
  });

  it("a lesson for the global model is seen by another process's instance", () => {
    const dir = mkdtempSync(join(tmpdir(), "mailstack-ngram-"));
    const a = seeded(openDatabase(dir));
    const b = new NgramModels(openDatabase(dir));
    const target = f(gardeningMessage(7));
    const beforeB = b.classify(target)?.probability ?? 1;
    a.learnGlobal(target, "spam");
    const afterB = b.classify(target)?.probability ?? 0;
    assert.ok(afterB > beforeB && afterB >= 0.9, `${beforeB} -> ${afterB}`);
    a.db.close();
    b.db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
