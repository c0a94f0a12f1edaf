import assert from "node:assert/strict";
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
import { describe, it } from "node:test";
import { dkimPublicKeyValue, dkimTxtValue } from "./public-key.ts";

/**
 * RFC 8463 Appendix A: the example Ed25519 key (the RFC 8032 §7.1 test 1 seed) and the TXT
 * record published for it at brisbane._domainkey.football.example.com.
 */
const RFC8463_SEED = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
const RFC8463_RECORD = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
/** The fixed DER prefix of a PKCS#8 Ed25519 private key (RFC 8410 §7), followed by the seed. */
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

const spkiPem = (key: KeyObject) => key.export({ type: "spki", format: "pem" }).toString();

describe("dkimPublicKeyValue", () => {
  it("gives RFC 8463's p= for RFC 8463's example key", () => {
    const privateKey = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(RFC8463_SEED, "base64")]),
      format: "der",
      type: "pkcs8",
    });
    const pem = spkiPem(createPublicKey(privateKey));
    const p = dkimPublicKeyValue(pem, "ed25519");
    assert.equal(dkimTxtValue("ed25519", p), RFC8463_RECORD);
  });

  it("gives the raw 32 bytes of an Ed25519 key: the tail of its SPKI DER", () => {
    for (let i = 0; i < 5; i++) {
      const { publicKey } = generateKeyPairSync("ed25519");
      const der = publicKey.export({ type: "spki", format: "der" });
      const p = dkimPublicKeyValue(spkiPem(publicKey), "ed25519");
      assert.equal(p.length, 44, "32 bytes are 44 base64 characters");
      assert.deepEqual(Buffer.from(p, "base64"), der.subarray(der.length - 32));
    }
  });

  it("gives the SPKI DER of an RSA key, which a verifier can load and check a signature with", () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const p = dkimPublicKeyValue(spkiPem(publicKey), "rsa2048");
    assert.deepEqual(Buffer.from(p, "base64"), publicKey.export({ type: "spki", format: "der" }));
    // What a DKIM verifier does with p= (RFC 6376 §3.3.1: RSASSA-PKCS1-v1_5 with SHA-256).
    const published = createPublicKey({
      key: Buffer.from(p, "base64"),
      format: "der",
      type: "spki",
    });
    const data = Buffer.from("dkim-signature header hash input");
    assert.ok(verify("sha256", data, published, sign("sha256", data, privateKey)));
    assert.match(dkimTxtValue("rsa2048", p), /^v=DKIM1; k=rsa; p=MIIBIjAN[A-Za-z0-9+/]+=*$/);
  });

  it("accepts an RSA key in PKCS#1 PEM as well", () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pkcs1 = publicKey.export({ type: "pkcs1", format: "pem" }).toString();
    assert.equal(
      dkimPublicKeyValue(pkcs1, "rsa2048"),
      publicKey.export({ type: "spki", format: "der" }).toString("base64"),
    );
  });

  it("refuses a key that is not what the selector declares", () => {
    const ed = spkiPem(generateKeyPairSync("ed25519").publicKey);
    const rsa1024 = spkiPem(generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey);
    assert.throws(() => dkimPublicKeyValue(ed, "rsa2048"), /2048-bit RSA.*got key type ed25519$/);
    assert.throws(() => dkimPublicKeyValue(rsa1024, "rsa2048"), /got key type rsa of 1024 bits/);
    assert.throws(() => dkimPublicKeyValue(rsa1024, "ed25519"), /expected an Ed25519/);
    assert.throws(() => dkimPublicKeyValue("not a key", "ed25519"), /not a PEM public key/);
  });
});

describe("dkimTxtValue", () => {
  it("refuses a p= that is not base64 (it would break the tag list)", () => {
    assert.throws(() => dkimTxtValue("rsa2048", "abc; t=y"), /base64/);
    assert.throws(() => dkimTxtValue("ed25519", ""), /base64/);
  });
});
