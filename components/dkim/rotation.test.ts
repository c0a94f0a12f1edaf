/**
 * A DKIM rotation walked through successive stack configs for one domain, as `pulumi up` would
 * see them: at each step the published selectors (DNS) and the signing keys (MTA) of the
 * DkimKeys component, the RotationGuard's check against the inputs it stored at the previous
 * step, and the same edit as `mailstack dkim rotate` would make. Then the unsafe jumps.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseStackYaml } from "../../stacks/load.ts";
import type { StackConfig } from "../../stacks/schema.ts";
import { ConfigError } from "../../servers/shared/config.ts";
import { rotationGuardProvider, type RotationGuardState } from "./rotation-guard.ts";
import { buildDkimKeys, GUARD_TYPE, setDkimMocks, valueOf } from "./test-mocks.ts";
import { nextRotationStep, stackDkimTransitionProblems } from "./transitions.ts";

const mocks = await setDkimMocks();

/** A stack with example.org first, so the key paths show the domain index (1). */
function stack(dkim: string): StackConfig {
  return parseStackYaml(
    `config:
  mailstack:hostname: mail.example.com
  mailstack:domains:
    - name: example.org
      dkim: [{ selector: org2026a, state: active }]
    - name: example.com
      dkim:
${dkim}`,
    "stacks/Pulumi.walk.yaml",
  );
}
const A_ACTIVE = "        - { selector: rsa2026a, state: active }\n";
const A_RETIRING = "        - { selector: rsa2026a, state: retiring }\n";
const B_PENDING = "        - { selector: rsa2026b, state: pending }\n";
const B_ACTIVE = "        - { selector: rsa2026b, state: active }\n";

const WALK: { step: string; config: StackConfig; published: string; signing: string }[] = [
  { step: "start", config: stack(A_ACTIVE), published: "rsa2026a:active", signing: "rsa2026a" },
  {
    step: "publish new",
    config: stack(A_ACTIVE + B_PENDING),
    published: "rsa2026a:active rsa2026b:pending",
    signing: "rsa2026a",
  },
  {
    step: "dual-publish (the same config, re-applied while the record spreads)",
    config: stack(A_ACTIVE + B_PENDING),
    published: "rsa2026a:active rsa2026b:pending",
    signing: "rsa2026a",
  },
  {
    step: "switch signing, retire the old key",
    config: stack(A_RETIRING + B_ACTIVE),
    published: "rsa2026a:retiring rsa2026b:active",
    signing: "rsa2026b",
  },
  { step: "remove", config: stack(B_ACTIVE), published: "rsa2026b:active", signing: "rsa2026b" },
];

/** What the guard of example.com stored at the last deployment (its last registration). */
function storedGuard(): RotationGuardState {
  const last = mocks.registrations.findLast(
    (r) => r.type === GUARD_TYPE && r.name === "dkim-example.com-rotation-guard",
  );
  assert.ok(last !== undefined, "the guard was registered");
  return last.inputs as RotationGuardState;
}

async function deploy(config: StackConfig) {
  const { component } = await buildDkimKeys("dkim", config.domains);
  const mine = (k: { domain: string }) => k.domain === "example.com";
  const published = component.publicKeys.filter(mine);
  for (const key of published) {
    assert.match(await valueOf(key.publicKey), /^MIIBIjAN/, `${key.selector} has its p=`);
  }
  return {
    published: published.map((k) => `${k.selector}:${k.state}`).join(" "),
    signing: component.signingKeys
      .filter(mine)
      .map((k) => k.selector)
      .join(" "),
  };
}

describe("a DKIM rotation, step by step", () => {
  WALK.forEach(({ step, config, published, signing }, i) => {
    it(`${i}. ${step}`, async () => {
      const previous = WALK[i - 1]?.config;
      const stored = previous === undefined ? undefined : storedGuard();
      const deployed = await deploy(config);
      assert.equal(deployed.published, published, "published selectors");
      assert.equal(deployed.signing, signing, "signing keys");

      const news = storedGuard();
      const check = await rotationGuardProvider.check(stored ?? {}, news);
      assert.deepEqual(check.failures, [], "the guard accepts the step");
      assert.deepEqual(stackDkimTransitionProblems(previous?.domains, config.domains), []);
      if (stored !== undefined) {
        const { changes } = await rotationGuardProvider.diff("example.com", stored, news);
        assert.equal(changes, i !== 2, "only the re-applied step changes nothing");
      }
      // Each real change is the edit `mailstack dkim rotate` makes.
      if (previous !== undefined && i !== 2) {
        const from = previous.domains[1]?.dkim ?? [];
        const rotated = nextRotationStep(from, "rsa2048", { domain: "example.com" });
        assert.deepEqual(rotated.selectors, config.domains[1]?.dkim);
      }
    });
  });
});

describe("unsafe jumps are refused, naming the domain, the selector and the key", () => {
  const refused = (from: StackConfig, to: StackConfig) =>
    stackDkimTransitionProblems(from.domains, to.domains).map((p) => p.message);
  const [start, publish, , switched, removed] = WALK.map((w) => w.config);
  assert.ok(start && publish && switched && removed);

  it("absent -> active without having been pending", () => {
    const [message, ...more] = refused(start, switched);
    assert.deepEqual(more, []);
    assert.match(
      message ?? "",
      /^mailstack:domains\[1\]\.dkim\[1\]: selector rsa2026b of example\.com would start signing/,
    );
    assert.match(message ?? "", /state: pending.*emergency: true/);
  });

  it("but absent -> active with emergency: true, dropping the compromised key at once", () => {
    const emergency = stack("        - { selector: rsa2026c, state: active, emergency: true }\n");
    assert.deepEqual(refused(start, emergency), []);
  });

  it("an active selector removed in one step", () => {
    const [message, ...more] = refused(publish, removed);
    assert.deepEqual(more, []);
    assert.match(
      message ?? "",
      /^mailstack:domains\[1\]\.dkim: selector rsa2026a of example\.com was active .*state: retiring/,
    );
  });

  it("no active selector left: refused by the schema, and by the guard", async () => {
    assert.throws(
      () => stack(A_RETIRING + B_PENDING),
      (error: unknown) =>
        error instanceof ConfigError &&
        /mailstack:domains\[1\]\.dkim: no active selector/.test(error.message),
    );
    const guard = { domain: "example.com", keyPath: "mailstack:domains[1].dkim" };
    const { failures } = await rotationGuardProvider.check(
      { ...guard, selectors: publish.domains[1]?.dkim ?? [] },
      {
        ...guard,
        selectors: [
          { selector: "rsa2026a", algorithm: "rsa2048", state: "retiring" },
          { selector: "rsa2026b", algorithm: "rsa2048", state: "pending" },
        ],
      },
    );
    assert.match(failures?.[0]?.reason ?? "", /example\.com would have no active selector/);
  });

  it("an algorithm change under the same selector", () => {
    const changed = stack(
      A_ACTIVE + "        - { selector: rsa2026b, algorithm: ed25519, state: pending }\n",
    );
    const [message, ...more] = refused(publish, changed);
    assert.deepEqual(more, []);
    assert.match(
      message ?? "",
      /^mailstack:domains\[1\]\.dkim\[1\]\.algorithm: selector rsa2026b of example\.com was rsa2048 and would become ed25519/,
    );
  });
});
