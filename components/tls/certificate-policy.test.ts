import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ACME_DIRECTORIES } from "../../stacks/schema/tls.ts";
import {
  acmeDirectoryUrl,
  acmeKeyType,
  caValidityDays,
  earlyRenewalHours,
  joinPem,
  privateKeyArgs,
  serverAllowedUses,
} from "./certificate-policy.ts";

describe("certificate policy", () => {
  it("renews 30 days early, or a third of the lifetime for short certificates", () => {
    assert.equal(earlyRenewalHours(365), 720);
    assert.equal(earlyRenewalHours(90), 720);
    assert.equal(earlyRenewalHours(30), 240);
    assert.equal(earlyRenewalHours(1), 8);
    for (let days = 1; days <= 3650; days++) {
      assert.ok(earlyRenewalHours(days) < days * 24, `${days} days`);
    }
  });

  it("keeps the CA valid at least ten years and longer than what it issues", () => {
    assert.equal(caValidityDays(365), 3650);
    assert.equal(caValidityDays(3650), 7300);
  });

  it("maps key algorithms to the tls and acme providers' names", () => {
    assert.deepEqual(privateKeyArgs("ecdsaP256"), { algorithm: "ECDSA", ecdsaCurve: "P256" });
    assert.deepEqual(privateKeyArgs("rsa2048"), { algorithm: "RSA", rsaBits: 2048 });
    assert.equal(acmeKeyType("ecdsaP256"), "P256");
    assert.equal(acmeKeyType("rsa2048"), "2048");
  });

  it("asks for keyEncipherment only with an RSA key", () => {
    assert.deepEqual(serverAllowedUses("ecdsaP256"), ["digital_signature", "server_auth"]);
    assert.deepEqual(serverAllowedUses("rsa2048"), [
      "digital_signature",
      "key_encipherment",
      "server_auth",
    ]);
  });

  it("resolves ACME directory names and passes URLs through", () => {
    assert.equal(acmeDirectoryUrl("production"), ACME_DIRECTORIES.production);
    assert.equal(acmeDirectoryUrl("staging"), ACME_DIRECTORIES.staging);
    assert.equal(acmeDirectoryUrl("https://ca.example/dir"), "https://ca.example/dir");
  });

  it("joins PEM blocks with single newlines and skips empty parts", () => {
    assert.equal(joinPem("A\n", "", "B"), "A\nB\n");
    assert.equal(joinPem("A\n\n", "B\n"), "A\nB\n");
  });
});
