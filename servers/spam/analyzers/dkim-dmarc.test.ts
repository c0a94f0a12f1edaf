/**
 * DKIM, DMARC and ARC vectors made here with real keys: messages signed (and ARC-sealed) by
 * mailauth's own signer with RSA-2048 and Ed25519 keys generated for the run, their public keys
 * published in the in-memory zone, then checked through the whole pipeline. DMARC policies are
 * published per case; a failing p=reject must force the reject action.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { sealMessage } from "mailauth";
import { dkimSign } from "mailauth/lib/dkim/sign.js";
import { analyze, message } from "../testing/harness.ts";

function keyPair(type: "rsa" | "ed25519"): { privatePem: string; record: string } {
  const { privateKey, publicKey } =
    type === "rsa"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ed25519");
  const der = publicKey.export({ type: "spki", format: "der" });
  // RFC 8463 §4.2: an Ed25519 record holds the bare 32-byte key, not the SPKI structure.
  const p = type === "rsa" ? der.toString("base64") : der.subarray(-32).toString("base64");
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    record: `v=DKIM1; k=${type}; p=${p}`,
  };
}

const rsa = keyPair("rsa");
const ed = keyPair("ed25519");

async function sign(
  raw: string,
  domain: string,
  selector: string,
  privatePem: string,
): Promise<string> {
  const entry = { signingDomain: domain, selector, privateKey: privatePem };
  // mailauth signs what signatureData lists; its typings also want the fields at the top.
  const result = await dkimSign(raw, { ...entry, signatureData: [entry] });
  assert.equal(result.errors.length, 0, JSON.stringify(result.errors));
  return result.signatures + raw;
}

const from = (domain: string): string =>
  message({ headers: { From: `News <news@${domain}>`, "Message-ID": `<1@${domain}>` } });

const ZONE = {
  "TXT rsa._domainkey.bank.example": [[rsa.record]],
  "TXT ed._domainkey.bank.example": [[ed.record]],
  "TXT _dmarc.bank.example": [["v=DMARC1; p=reject; rua=mailto:d@bank.example"]],
  "TXT bank.example": [["v=spf1 ip4:198.51.100.0/24 -all"]],
  "TXT _dmarc.shop.example": [["v=DMARC1; p=quarantine"]],
  "TXT shop.example": [["v=spf1 -all"]],
  "TXT _dmarc.blog.example": [["v=DMARC1; p=none"]],
  "TXT blog.example": [["v=spf1 -all"]],
  "TXT rsa._domainkey.relay.example": [[rsa.record]],
};

const outside = { clientAddress: "203.0.113.9", helo: "mail.attacker.example" };

describe("DKIM", () => {
  it("an RSA-SHA256 signature verifies: DKIM_VALID, and aligned DMARC passes", async () => {
    const raw = await sign(from("bank.example"), "bank.example", "rsa", rsa.privatePem);
    const r = await analyze(raw, { ...outside, mailFrom: "bounce@other.example" }, ZONE);
    assert.equal(r.hits.get("DKIM_VALID"), "bank.example");
    assert.ok(r.hits.has("DMARC_PASS"));
    assert.equal(r.action, "accept");
    const ar = r.headers.find(([n]) => n === "Authentication-Results")?.[1] ?? "";
    assert.match(ar, /^mx\.example\.com;/);
    assert.match(ar, /dkim=pass header\.i=@bank\.example header\.s=rsa/);
    assert.match(ar, /dmarc=pass/);
  });

  it("an Ed25519-SHA256 signature (RFC 8463) verifies", async () => {
    const raw = await sign(from("bank.example"), "bank.example", "ed", ed.privatePem);
    const r = await analyze(raw, { ...outside, mailFrom: "bounce@other.example" }, ZONE);
    assert.ok(r.hits.has("DKIM_VALID"));
    assert.ok(r.hits.has("DMARC_PASS"));
  });

  it("a body changed after signing: DKIM_INVALID", async () => {
    const raw = (await sign(from("blog.example"), "bank.example", "rsa", rsa.privatePem)).replace(
      "noon",
      "midnight",
    );
    const r = await analyze(raw, outside, ZONE);
    assert.match(r.hits.get("DKIM_INVALID") ?? "", /bank\.example/);
    assert.ok(!r.hits.has("DKIM_VALID"));
  });

  it("a key that is not published: DKIM_INVALID, not a pass", async () => {
    const raw = await sign(from("blog.example"), "blog.example", "missing", rsa.privatePem);
    const r = await analyze(raw, outside, ZONE);
    assert.ok(r.hits.has("DKIM_INVALID"));
  });
});

describe("DMARC", () => {
  it("p=reject and neither SPF nor DKIM aligned: DMARC_FAIL_REJECT forces reject", async () => {
    const r = await analyze(
      from("bank.example"),
      { ...outside, mailFrom: "news@bank.example" },
      ZONE,
    );
    assert.ok(r.hits.has("SPF_FAIL"));
    assert.equal(r.hits.get("DMARC_FAIL_REJECT"), "bank.example p=reject");
    assert.equal(r.action, "reject");
  });

  it("p=reject, signed by another domain only (not aligned): still reject", async () => {
    const raw = await sign(from("bank.example"), "relay.example", "rsa", rsa.privatePem);
    const r = await analyze(raw, outside, ZONE);
    assert.ok(r.hits.has("DKIM_VALID"));
    assert.ok(r.hits.has("DMARC_FAIL_REJECT"));
    assert.equal(r.action, "reject");
  });

  it("p=reject and SPF passes for the From domain: DMARC passes through SPF alignment", async () => {
    const r = await analyze(
      from("bank.example"),
      { clientAddress: "198.51.100.7", helo: "mx.bank.example", mailFrom: "news@bank.example" },
      ZONE,
    );
    assert.ok(r.hits.has("SPF_PASS"));
    assert.ok(r.hits.has("DMARC_PASS"));
    assert.notEqual(r.action, "reject");
  });

  it("p=quarantine failing: DMARC_FAIL_QUARANTINE, junk", async () => {
    const r = await analyze(
      from("shop.example"),
      { ...outside, mailFrom: "news@shop.example" },
      ZONE,
    );
    assert.ok(r.hits.has("DMARC_FAIL_QUARANTINE"));
    assert.equal(r.action, "junk");
  });

  it("p=none failing: DMARC_FAIL_NONE, a small score, delivered", async () => {
    const r = await analyze(
      from("blog.example"),
      { ...outside, mailFrom: "news@blog.example" },
      ZONE,
    );
    assert.ok(r.hits.has("DMARC_FAIL_NONE"));
    assert.equal(r.action, "accept");
  });

  it("From with two domains cannot be judged: DMARC_BAD_FROM", async () => {
    const raw = message({ headers: { From: "a@bank.example, b@shop.example" } });
    const r = await analyze(raw, outside, ZONE);
    assert.equal(r.hits.get("DMARC_BAD_FROM"), "multiple-author-domains");
  });
});

describe("ARC", () => {
  it("a chain sealed by a forwarder verifies (ARC_PASS); changing the message breaks it (ARC_FAIL)", async () => {
    const original = from("blog.example");
    const seal = await sealMessage(original, {
      signingDomain: "relay.example",
      selector: "rsa",
      privateKey: rsa.privatePem,
      authResults: "i=1; mx.relay.example; spf=pass smtp.mailfrom=blog.example",
      cv: "none",
    });
    const sealed = seal.toString() + original;
    const ok = await analyze(sealed, outside, ZONE);
    assert.equal(ok.hits.get("ARC_PASS"), "i=1");
    const broken = await analyze(sealed.replace("noon", "one"), outside, ZONE);
    assert.ok(broken.hits.has("ARC_FAIL"));
    assert.ok(!broken.hits.has("ARC_PASS"));
  });
});
