import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runInThisContext } from "node:vm";
import * as pulumi from "@pulumi/pulumi";
import { rotationGuardProvider, type RotationGuardState } from "./rotation-guard.ts";
import type { SelectorSnapshot } from "./transition-rules.ts";

const KEY = "mailstack:domains[1].dkim";
const sel = (selector: string, state: string, algorithm = "rsa2048", emergency = false) => ({
  selector,
  algorithm,
  state,
  emergency,
});
const guard = (selectors: SelectorSnapshot[]): RotationGuardState => ({
  domain: "example.org",
  keyPath: KEY,
  selectors,
});

type Provider = typeof rotationGuardProvider;

/** check(olds, news) on a provider; a new guard gets `{}` as olds, like the engine sends. */
async function reasons(
  provider: Provider,
  olds: SelectorSnapshot[] | undefined,
  news: SelectorSnapshot[],
): Promise<string[]> {
  const result = await provider.check(olds === undefined ? {} : guard(olds), guard(news));
  return (result.failures ?? []).map((f) => `${f.property}: ${f.reason}`);
}

/** Every unsafe change once, with what its failure must say. */
const UNSAFE: [string, SelectorSnapshot[], SelectorSnapshot[], RegExp][] = [
  [
    "absent -> active without emergency",
    [sel("a", "active")],
    [sel("a", "retiring"), sel("b", "active")],
    /^selectors: mailstack:domains\[1\]\.dkim\[1\]: selector b of example\.org would start signing .*state: pending/,
  ],
  [
    "an active selector removed in one step",
    [sel("a", "active"), sel("b", "pending")],
    [sel("b", "active")],
    /^selectors: mailstack:domains\[1\]\.dkim: selector a of example\.org was active .*state: retiring/,
  ],
  [
    "no active selector left",
    [sel("a", "active"), sel("b", "pending")],
    [sel("a", "retiring"), sel("b", "pending")],
    /^selectors: mailstack:domains\[1\]\.dkim: example\.org would have no active selector.*Keep a active/,
  ],
  [
    "an algorithm change under the same selector",
    [sel("a", "active"), sel("b", "pending")],
    [sel("a", "active"), sel("b", "pending", "ed25519")],
    /^selectors: mailstack:domains\[1\]\.dkim\[1\]\.algorithm: selector b of example\.org was rsa2048 and would become ed25519.*new selector/,
  ],
];

const SAFE: [string, SelectorSnapshot[] | undefined, SelectorSnapshot[]][] = [
  ["a new domain starting with an active selector", undefined, [sel("a", "active")]],
  ["publish", [sel("a", "active")], [sel("a", "active"), sel("b", "pending")]],
  ["switch", [sel("a", "active"), sel("b", "pending")], [sel("a", "retiring"), sel("b", "active")]],
  ["remove", [sel("a", "retiring"), sel("b", "active")], [sel("b", "active")]],
  [
    "emergency replacement of a compromised key",
    [sel("a", "active")],
    [sel("c", "active", "rsa2048", true)],
  ],
  [
    "rolling back a switch",
    [sel("a", "retiring"), sel("b", "active")],
    [sel("a", "active"), sel("b", "retiring")],
  ],
];

function checkAll(provider: () => Provider) {
  for (const [name, olds, news, expected] of UNSAFE) {
    it(`refuses ${name}`, async () => {
      const failures = await reasons(provider(), olds, news);
      assert.equal(failures.length, 1, failures.join("\n"));
      assert.match(failures[0] ?? "", expected);
    });
  }
  for (const [name, olds, news] of SAFE) {
    it(`accepts ${name}`, async () => {
      assert.deepEqual(await reasons(provider(), olds, news), []);
    });
  }
}

describe("RotationGuard provider: check(olds, news)", () => {
  checkAll(() => rotationGuardProvider);

  it("refuses a selector list it cannot read, and passes the inputs through", async () => {
    const news = { ...guard([]), selectors: [{ selector: "a" }] } as unknown as RotationGuardState;
    const result = await rotationGuardProvider.check({}, news);
    assert.equal(result.inputs, news);
    assert.match(result.failures?.[0]?.reason ?? "", /expected \{selector, algorithm, state\}/);
  });

  it("takes a selector stored without `emergency` (state of an older version) as not one", async () => {
    const stored = [{ selector: "a", algorithm: "rsa2048", state: "active" }];
    assert.deepEqual(await reasons(rotationGuardProvider, stored, [sel("a", "active")]), []);
  });
});

describe("RotationGuard provider: diff, create, update", () => {
  const before = guard([sel("a", "active")]);
  it("sees a change of selectors, and not a domain moving in the list", async () => {
    const moved = { ...before, keyPath: "mailstack:domains[0].dkim" };
    assert.deepEqual(await rotationGuardProvider.diff("example.org", before, moved), {
      changes: false,
    });
    const next = guard([sel("a", "active"), sel("b", "pending")]);
    assert.deepEqual(await rotationGuardProvider.diff("example.org", before, next), {
      changes: true,
    });
  });

  it("stores the inputs without the serialized provider", async () => {
    const inputs = { ...before, __provider: "exports.handler = ..." };
    assert.deepEqual(await rotationGuardProvider.create(inputs), {
      id: "example.org",
      outs: before,
    });
    assert.deepEqual(await rotationGuardProvider.update("example.org", before, inputs), {
      outs: before,
    });
  });
});

describe("RotationGuard provider, serialized as Pulumi ships it to the engine", () => {
  let serialized: Provider | undefined;
  it("serializes without capturing any module", async () => {
    const { text, exportName } = await pulumi.runtime.serializeFunction(
      () => rotationGuardProvider,
      { allowSecrets: true },
    );
    assert.doesNotMatch(text, /require\(/, "a captured module would not load in the engine");
    const module = { exports: {} as Record<string, () => Provider> };
    // The engine loads the text with require-from-string: compiled in a module wrapper, with no
    // access to the scope it came from. This does the same.
    const load = runInThisContext(`(function (module, exports) {${text}\n})`) as (
      m: typeof module,
      e: typeof module.exports,
    ) => void;
    load(module, module.exports);
    serialized = module.exports[exportName]?.();
    assert.ok(serialized !== undefined);
  });
  checkAll(() => {
    assert.ok(serialized !== undefined, "serialization failed");
    return serialized;
  });
});
