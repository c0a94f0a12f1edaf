import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { dkimSelectorsSchema, type DkimSelector } from "../../stacks/schema/dkim.ts";
import {
  dkimTransitionProblems,
  freshSelectorName,
  nextRotationStep,
  type RotationStep,
} from "./transitions.ts";

const NOW = new Date("2026-05-14T12:00:00Z");
const sel = (
  selector: string,
  state: DkimSelector["state"],
  algorithm: DkimSelector["algorithm"] = "rsa2048",
): DkimSelector => ({ selector, algorithm, state, emergency: false });
const step = (selectors: DkimSelector[], algorithm: DkimSelector["algorithm"] = "rsa2048") =>
  nextRotationStep(selectors, algorithm, { domain: "example.com", ttl: 300, now: NOW });
const brief = (selectors: readonly DkimSelector[]) =>
  selectors.map((s) => `${s.selector}:${s.state}`).join(" ");

describe("nextRotationStep", () => {
  it("walks an RSA rotation: publish, switch, remove, and again", () => {
    const published = step([sel("rsa2026a", "active")]);
    assert.equal(published.kind, "publish");
    assert.equal(brief(published.selectors), "rsa2026a:active rsa2026b:pending");
    assert.deepEqual(published.edits, [
      { kind: "add", index: 1, selector: sel("rsa2026b", "pending") },
    ]);
    assert.match(published.summary, /Added rsa2026b \(rsa2048\) to example\.com as pending/);
    assert.match(published.nextStep, /wait until rsa2026b\._domainkey\.example\.com .*300 s/);

    const switched = step([...published.selectors]);
    assert.equal(switched.kind, "switch");
    assert.equal(brief(switched.selectors), "rsa2026a:retiring rsa2026b:active");
    assert.deepEqual(switched.edits, [
      { kind: "set-state", index: 0, selector: "rsa2026a", from: "active", to: "retiring" },
      { kind: "set-state", index: 1, selector: "rsa2026b", from: "pending", to: "active" },
    ]);
    assert.match(switched.summary, /rsa2026b \(rsa2048\) now signs .*rsa2026a is retiring/);
    assert.match(switched.nextStep, /days.*rotate again to remove it/);

    const removed = step([...switched.selectors]);
    assert.equal(removed.kind, "remove");
    assert.equal(brief(removed.selectors), "rsa2026b:active");
    assert.deepEqual(removed.edits, [{ kind: "remove", index: 0, selector: "rsa2026a" }]);

    const again = step([...removed.selectors]);
    assert.equal(brief(again.selectors), "rsa2026b:active rsa2026c:pending");
  });

  it("rotates one algorithm and leaves the other alone", () => {
    const start = [sel("rsa2026a", "active"), sel("ed2026a", "active", "ed25519")];
    const published = step(start, "ed25519");
    assert.equal(brief(published.selectors), "rsa2026a:active ed2026a:active ed2026b:pending");
    const switched = step([...published.selectors], "ed25519");
    assert.equal(brief(switched.selectors), "rsa2026a:active ed2026a:retiring ed2026b:active");
  });

  it("adds a second algorithm as pending, then makes it sign alongside (dual signature)", () => {
    const published = step([sel("org2026a", "active")], "ed25519");
    assert.deepEqual(published.selectors[1], sel("ed2026a", "pending", "ed25519"));
    const signing = step([...published.selectors], "ed25519");
    assert.equal(signing.kind, "switch");
    assert.equal(brief(signing.selectors), "org2026a:active ed2026a:active");
    assert.match(signing.summary, /alongside its other active selectors/);
  });

  it("switches before removing when both a pending and a retiring selector wait", () => {
    const s = step([sel("a", "retiring"), sel("b", "active"), sel("c", "pending")]);
    assert.equal(brief(s.selectors), "a:retiring b:retiring c:active");
  });

  it("starts a domain that signs nothing with an active selector", () => {
    const s = step([]);
    assert.equal(s.kind, "start-signing");
    assert.deepEqual(s.selectors, [sel("rsa2026a", "active")]);
  });
});

describe("freshSelectorName", () => {
  it("follows the newest selector of the algorithm: its prefix, this year, the next letter", () => {
    assert.equal(freshSelectorName([sel("org2026a", "active")], "rsa2048", NOW), "org2026b");
    assert.equal(freshSelectorName([sel("org2025c", "active")], "rsa2048", NOW), "org2026a");
    assert.equal(
      freshSelectorName([sel("s2026a", "retiring"), sel("s2026c", "active")], "rsa2048", NOW),
      "s2026d",
    );
    assert.equal(freshSelectorName([sel("default", "active")], "rsa2048", NOW), "rsa2026a");
    assert.equal(freshSelectorName([sel("rsa2026a", "active")], "ed25519", NOW), "ed2026a");
  });

  it("refuses to go past z", () => {
    assert.throws(
      () => freshSelectorName([sel("rsa2026z", "active")], "rsa2048", NOW),
      /no free selector name rsa2026a\.\.z left/,
    );
  });
});

describe("dkimTransitionProblems", () => {
  const KEY = "mailstack:domains[0].dkim";
  const codes = (previous: DkimSelector[] | undefined, next: DkimSelector[]) =>
    dkimTransitionProblems("example.com", KEY, previous, next).map((p) => `${p.code} ${p.key}`);

  it("lets a domain that signed nothing start signing at once", () => {
    assert.deepEqual(codes(undefined, [sel("a", "active")]), []);
    assert.deepEqual(codes([], [sel("a", "active")]), []);
  });

  it("reports each unsafe change at its key", () => {
    assert.deepEqual(
      codes([sel("a", "active")], [sel("a", "active"), sel("b", "active", "ed25519")]),
      [`active-without-publishing ${KEY}[1]`],
    );
    assert.deepEqual(codes([sel("a", "active"), sel("b", "pending")], [sel("b", "active")]), [
      `active-removed ${KEY}`,
    ]);
    assert.deepEqual(codes([sel("a", "active")], []), [`active-removed ${KEY}`]);
    assert.deepEqual(codes([sel("a", "active")], [sel("a", "retiring")]), [`no-active ${KEY}`]);
    assert.deepEqual(codes([sel("a", "active")], [sel("a", "active", "ed25519")]), [
      `algorithm-changed ${KEY}[0].algorithm`,
    ]);
  });

  it("honours emergency only in the change where its selector becomes active", () => {
    const emergency = { ...sel("c", "active"), emergency: true };
    assert.deepEqual(codes([sel("a", "active")], [emergency]), []);
    // Left in the file afterwards, the flag no longer allows dropping an active key.
    assert.deepEqual(codes([emergency, sel("d", "pending")], [sel("d", "active")]), [
      `active-removed ${KEY}`,
    ]);
    // Nor an algorithm change.
    assert.deepEqual(
      codes([sel("a", "active")], [{ ...sel("a", "active", "ed25519"), emergency: true }]),
      [`algorithm-changed ${KEY}[0].algorithm`],
    );
  });
});

describe("nextRotationStep, property: every step is valid and safe", () => {
  const selectorList = fc
    .uniqueArray(
      fc.record({
        selector: fc.constantFrom("k1", "k2", "k3", "rsa2026a", "ed2026b", "x2024z"),
        algorithm: fc.constantFrom("rsa2048" as const, "ed25519" as const),
        state: fc.constantFrom("pending" as const, "active" as const, "retiring" as const),
        emergency: fc.constant(false),
      }),
      { selector: (s) => s.selector, maxLength: 5 },
    )
    .filter((list) => dkimSelectorsSchema.safeParse(list).success);

  it("keeps the schema's rules and passes the transition rules, step after step", () => {
    fc.assert(
      fc.property(
        selectorList,
        fc.array(fc.constantFrom("rsa2048" as const, "ed25519" as const), { maxLength: 8 }),
        (start, algorithms) => {
          let current: readonly DkimSelector[] = start;
          for (const algorithm of algorithms) {
            const next: RotationStep = nextRotationStep(current, algorithm, {
              domain: "example.com",
              now: NOW,
            });
            const parsed = dkimSelectorsSchema.safeParse(next.selectors);
            assert.ok(parsed.success, `${brief(next.selectors)}: ${parsed.error?.message}`);
            assert.deepEqual(
              dkimTransitionProblems("example.com", "k", current, next.selectors),
              [],
              `${brief(current)} -> ${brief(next.selectors)}`,
            );
            assert.ok(next.edits.length > 0, "every step changes something");
            current = next.selectors;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
