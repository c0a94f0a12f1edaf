import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dkimRecords, placeholderPublicKey, publicKeyProblem } from "./dkim-record.ts";
import { DnsRecordsError } from "./errors.ts";
import { inlineConfig, keysFor, realPublicKey } from "./testing.ts";

const config = inlineConfig({
  domains: [
    {
      name: "example.com",
      dkim: [
        { selector: "old", algorithm: "rsa2048", state: "retiring" },
        { selector: "cur", algorithm: "rsa2048", state: "active" },
        { selector: "ed", algorithm: "ed25519", state: "active" },
        { selector: "next", algorithm: "rsa2048", state: "pending" },
      ],
    },
  ],
});

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DnsRecordsError, String(error));
    return `${error.code}: ${error.message}`;
  }
  assert.fail("expected a DnsRecordsError");
}

describe("DKIM records", () => {
  it("pending, active and retiring selectors are all published, p= equal to the key", () => {
    const rsa = realPublicKey("rsa2048");
    const ed = realPublicKey("ed25519");
    const records = dkimRecords(
      config,
      0,
      keysFor(config, (a) => (a === "ed25519" ? ed : rsa)),
    );
    assert.deepEqual(
      records.map((r) => [r.name, r.value]),
      [
        ["old._domainkey.example.com", `v=DKIM1; k=rsa; p=${rsa}`],
        ["cur._domainkey.example.com", `v=DKIM1; k=rsa; p=${rsa}`],
        ["ed._domainkey.example.com", `v=DKIM1; k=ed25519; p=${ed}`],
        ["next._domainkey.example.com", `v=DKIM1; k=rsa; p=${rsa}`],
      ],
    );
    assert.match(records[0]?.comment ?? "", /retiring/);
  });

  it("a selector without a key is refused, naming it and its config key", () => {
    const keys = keysFor(config).filter((k) => k.selector !== "next");
    assert.match(
      refusal(() => dkimRecords(config, 0, keys)),
      /^DKIM_KEY_MISSING: example\.com selector next \(mailstack:domains\[0\]\.dkim\[3\]\): no public key/,
    );
  });

  it("a key of the wrong algorithm or not base64 is refused", () => {
    const swapped = keysFor(config).map((k) =>
      k.selector === "ed" ? { ...k, algorithm: "rsa2048" as const } : k,
    );
    assert.match(
      refusal(() => dkimRecords(config, 0, swapped)),
      /^DKIM_KEY_MISMATCH: .*selector ed/,
    );
    const pem = keysFor(config).map((k) =>
      k.selector === "cur" ? { ...k, publicKey: "-----BEGIN PUBLIC KEY-----\nMIIB" } : k,
    );
    assert.match(
      refusal(() => dkimRecords(config, 0, pem)),
      /^DKIM_KEY_INVALID: .*selector cur/,
    );
  });

  it("takes any base64 text, so `mailstack plan` may pass a readable stand-in", () => {
    const records = dkimRecords(
      config,
      0,
      keysFor(config, () => "GeneratedByPulumiUp"),
    );
    assert.equal(records[2]?.value, "v=DKIM1; k=ed25519; p=GeneratedByPulumiUp");
  });

  it("placeholders have the size and alphabet of real keys", () => {
    for (const algorithm of ["rsa2048", "ed25519"] as const) {
      const placeholder = placeholderPublicKey(algorithm);
      assert.equal(placeholder.length, realPublicKey(algorithm).length);
      assert.equal(publicKeyProblem(algorithm, placeholder), undefined);
    }
    assert.match(publicKeyProblem("ed25519", realPublicKey("rsa2048")) ?? "", /32-octet/);
  });
});
