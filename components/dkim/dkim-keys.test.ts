import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { loadStackFile, parseStackYaml } from "../../stacks/load.ts";
import { dkimChildNames } from "./dkim-keys.ts";
import { dkimPublicKeyValue } from "./public-key.ts";
import {
  buildDkimKeys,
  COMPONENT_TYPE,
  GUARD_TYPE,
  KEY_TYPE,
  setDkimMocks,
  valueOf,
} from "./test-mocks.ts";

const mocks = await setDkimMocks();
const stackFile = (env: string) =>
  fileURLToPath(new URL(`../../stacks/Pulumi.${env}.yaml`, import.meta.url));

/** How Pulumi marks a secret in serialized properties (sdk/nodejs/runtime/rpc.ts). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";

/**
 * The outputs a component registered, as the mock monitor holds them. The monitor is the SDK's
 * MockMonitor; getRegisteredResources() is how Pulumi's own mock tests read it. Outputs are
 * registered after they resolve, so wait for them.
 */
async function registeredOutputs(name: string): Promise<Record<string, unknown>> {
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    getRegisteredResources(): Map<string, { state: unknown }>;
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    for (const [urn, { state }] of monitor.getRegisteredResources()) {
      if (!urn.endsWith(`::${COMPONENT_TYPE}::${name}`)) continue;
      const struct = state as { toJavaScript?: () => Record<string, unknown> };
      if (typeof struct.toJavaScript === "function") return struct.toJavaScript();
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${name} registered no outputs`);
}

/** Signs with the mocked private key and verifies with the published p=, as a receiver would. */
function verifiesWith(p: string, privateKeyPem: string, algorithm: string): boolean {
  const publicKey =
    algorithm === "rsa2048"
      ? createPublicKey({ key: Buffer.from(p, "base64"), format: "der", type: "spki" })
      : createPublicKey({
          // RFC 8463 publishes the bare key; wrap it in SPKI (RFC 8410 prefix) to load it.
          key: Buffer.concat([
            Buffer.from("302a300506032b6570032100", "hex"),
            Buffer.from(p, "base64"),
          ]),
          format: "der",
          type: "spki",
        });
  const data = Buffer.from("the header hash of a message");
  const hash = algorithm === "rsa2048" ? "sha256" : null;
  return verify(hash, data, publicKey, sign(hash, data, createPrivateKey(privateKeyPem)));
}

describe("DkimKeys on the prod stack", async () => {
  const config = await loadStackFile(stackFile("prod"));
  const { component, children } = await buildDkimKeys("dkim", config.domains);
  const registered = (type: string) =>
    mocks.registrations.filter((r) => r.type === type && r.name.startsWith("dkim-"));

  it("declares one key per published selector and one guard per domain, all its children", () => {
    const keys = children.filter((c) => c.type === KEY_TYPE).map((c) => c.name);
    assert.deepEqual(keys, [
      "dkim-example.com-rsa2026a",
      "dkim-example.com-ed2026a",
      "dkim-example.com-rsa2026b",
      "dkim-example.org-org2026a",
    ]);
    const guards = children.filter((c) => c.type === GUARD_TYPE).map((c) => c.name);
    assert.deepEqual(guards, [
      "dkim-example.com-rotation-guard",
      "dkim-example.org-rotation-guard",
    ]);
    assert.equal(children.length, 6, "nothing else");
    for (const child of children) {
      assert.equal(child.parent, component, `${child.name} is parented to the component`);
      assert.ok(child.name.startsWith("dkim-"), `${child.name} has its parent's prefix`);
    }
    const names = mocks.registrations.map((r) => r.name);
    assert.equal(new Set(names).size, names.length, "names are unique");
    const components = mocks.registrations.filter((r) => r.type === COMPONENT_TYPE);
    assert.equal(components.filter((r) => r.name === "dkim").length, 1);
  });

  it("asks @pulumi/tls for the selector's algorithm: RSA 2048 or Ed25519", () => {
    const inputs = Object.fromEntries(registered(KEY_TYPE).map((r) => [r.name, r.inputs]));
    assert.deepEqual(inputs["dkim-example.com-rsa2026a"], { algorithm: "RSA", rsaBits: 2048 });
    assert.deepEqual(inputs["dkim-example.com-ed2026a"], { algorithm: "ED25519" });
    assert.deepEqual(inputs["dkim-example.com-rsa2026b"], { algorithm: "RSA", rsaBits: 2048 });
    assert.deepEqual(inputs["dkim-example.org-org2026a"], { algorithm: "RSA", rsaBits: 2048 });
  });

  it("publishes p= of the generated key for every selector, pending included, in the clear", async () => {
    const published = component.publicKeys.map(({ domain, selector, algorithm, state }) => ({
      domain,
      selector,
      algorithm,
      state,
    }));
    assert.deepEqual(published, [
      { domain: "example.com", selector: "rsa2026a", algorithm: "rsa2048", state: "active" },
      { domain: "example.com", selector: "ed2026a", algorithm: "ed25519", state: "active" },
      { domain: "example.com", selector: "rsa2026b", algorithm: "rsa2048", state: "pending" },
      { domain: "example.org", selector: "org2026a", algorithm: "rsa2048", state: "active" },
    ]);
    for (const key of component.publicKeys) {
      const mocked = mocks.keys.get(`dkim-${key.domain}-${key.selector}`);
      assert.ok(mocked !== undefined);
      const p = await valueOf(key.publicKey);
      assert.equal(p, dkimPublicKeyValue(mocked.publicKeyPem, key.algorithm));
      assert.ok(verifiesWith(p, mocked.privateKeyPem, key.algorithm), `${key.selector} verifies`);
      assert.equal(await pulumi.isSecret(key.publicKey), false, "p= is public");
    }
  });

  it("hands out exactly the active selectors' private keys, as secrets", async () => {
    assert.deepEqual(
      component.signingKeys.map((k) => `${k.domain}/${k.selector}/${k.algorithm}`),
      [
        "example.com/rsa2026a/rsa2048",
        "example.com/ed2026a/ed25519",
        "example.org/org2026a/rsa2048",
      ],
    );
    for (const key of component.signingKeys) {
      assert.equal(await pulumi.isSecret(key.privateKeyPem), true, `${key.selector} is secret`);
      const pem = await valueOf(key.privateKeyPem);
      assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/, "PKCS#8 for both algorithms");
      const published = component.publicKeys.find((k) => k.selector === key.selector);
      assert.ok(published !== undefined);
      assert.ok(verifiesWith(await valueOf(published.publicKey), pem, key.algorithm));
    }
  });

  it("registers its outputs with every private key wrapped as a secret", async () => {
    const outputs = await registeredOutputs("dkim");
    // The engine encrypts what is wrapped as a secret; nothing else may hold a private key.
    const plain = JSON.stringify(outputs, (_key, value: unknown) =>
      value !== null && typeof value === "object" && SECRET_SIG in value ? "[secret]" : value,
    );
    assert.doesNotMatch(plain, /PRIVATE KEY/, "no private key in the clear");
    const signing = (outputs.signingKeys ?? []) as Record<string, unknown>[];
    assert.equal(signing.length, 3);
    for (const key of signing) {
      assert.equal(
        (key.privateKeyPem as Record<string, unknown>)[SECRET_SIG],
        SECRET_MARK,
        "serialized as a secret",
      );
    }
    const published = (outputs.publicKeys ?? []) as Record<string, unknown>[];
    assert.equal(typeof published[0]?.publicKey, "string", "p= is plain");
  });

  it("gives each guard its domain's selectors and config key", () => {
    // Registrations finish in any order; sort by domain.
    const guards = registered(GUARD_TYPE)
      .map((r) => {
        const { domain, keyPath, selectors } = r.inputs as {
          domain: string;
          keyPath: string;
          selectors: unknown;
        };
        return { domain, keyPath, selectors };
      })
      .sort((a, b) => a.domain.localeCompare(b.domain));
    assert.deepEqual(guards, [
      {
        domain: "example.com",
        keyPath: "mailstack:domains[0].dkim",
        selectors: config.domains[0]?.dkim,
      },
      {
        domain: "example.org",
        keyPath: "mailstack:domains[1].dkim",
        selectors: config.domains[1]?.dkim,
      },
    ]);
    for (const r of registered(GUARD_TYPE)) {
      assert.equal(typeof (r.inputs as Record<string, unknown>).__provider, "string");
    }
  });
});

describe("DkimKeys on the dev stack", async () => {
  const config = await loadStackFile(stackFile("dev"));
  const { component, children } = await buildDkimKeys("dev-dkim", config.domains);

  it("declares the one RSA key and its guard", async () => {
    assert.deepEqual(
      children.map((c) => `${c.type} ${c.name}`),
      [
        `${GUARD_TYPE} dev-dkim-dev.example.test-rotation-guard`,
        `${KEY_TYPE} dev-dkim-dev.example.test-dev2026a`,
      ],
    );
    assert.deepEqual(
      component.signingKeys.map((k) => k.selector),
      ["dev2026a"],
    );
    const mocked = mocks.keys.get("dev-dkim-dev.example.test-dev2026a");
    const [signing] = component.signingKeys;
    assert.ok(signing !== undefined && mocked !== undefined);
    assert.equal(await valueOf(signing.privateKeyPem), mocked.privateKeyPemPkcs8);
  });
});

describe("DkimKeys on a domain without selectors", async () => {
  const config = parseStackYaml(
    "config:\n  mailstack:hostname: mail.example.net\n  mailstack:domains:\n    - name: example.net\n",
    "test",
  );
  const { component, children } = await buildDkimKeys("bare", config.domains);

  it("declares no key, only the guard that will check the first selectors", () => {
    assert.deepEqual(
      children.map((c) => c.type),
      [GUARD_TYPE],
    );
    assert.deepEqual(component.publicKeys, []);
    assert.deepEqual(component.signingKeys, []);
  });
});

describe("dkimChildNames", () => {
  it("refuses two children with one name", () => {
    const domain = (name: string, selector: string) =>
      ({
        name,
        dkim: [{ selector, algorithm: "rsa2048", state: "active", emergency: false }],
      }) as never;
    assert.throws(
      () => dkimChildNames("dkim", [domain("a.b-c", "d"), domain("a.b", "c-d")]),
      /two DKIM resources would be named dkim-a\.b-c-d/,
    );
  });
});
