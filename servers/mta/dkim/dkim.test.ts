/**
 * DKIM signing: signatures that mailauth verifies (DNS injected as a resolver serving the public
 * keys), RSA and Ed25519 side by side (RFC 8463), keys checked at load, replaced on disk and used
 * without a restart, and submitted mail arriving signed.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import { PASSWORD, replaceDkimKey, startHarness, type Harness } from "../testing/harness.ts";
import { plain, Transcript } from "../testing/transcript.ts";
import { DkimKeyError, DkimKeyring, readSigningKey } from "./keys.ts";
import { signMessage } from "./sign.ts";

let h: Harness;
before(async () => {
  h = await startHarness({ dkim: "dual" });
});
after(() => h.stop());

const MESSAGE =
  "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: signed\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <s1@example.test>\r\n\r\nHello,  world \r\n\r\n";

async function verify(raw: string | Buffer) {
  const result = await dkimVerify(raw, { resolver: h.resolver });
  return result.results.map((r) => `${r.selector ?? "?"}:${r.algo ?? "?"}:${r.status.result}`);
}

function keyring(): DkimKeyring {
  return new DkimKeyring({ keys: h.config.dkim, watch: false });
}

describe("DKIM: signing", () => {
  it("signs with both active selectors, and both signatures verify", async () => {
    const ring = keyring();
    const signed = await signMessage(Buffer.from(MESSAGE), ring.keysFor("example.test"));
    assert.deepEqual(signed.selectors, ["rsa1", "ed1"]);
    assert.deepEqual(signed.errors, []);
    assert.deepEqual((await verify(signed.raw)).sort(), [
      "ed1:ed25519-sha256:pass",
      "rsa1:rsa-sha256:pass",
    ]);
    // relaxed/relaxed: whitespace changes on the way do not break it; a changed body does.
    const rewrapped = signed.raw
      .toString("latin1")
      .replace("Hello,  world \r\n", "Hello, world\r\n");
    assert.deepEqual((await verify(rewrapped)).sort(), [
      "ed1:ed25519-sha256:pass",
      "rsa1:rsa-sha256:pass",
    ]);
    const tampered = signed.raw.toString("latin1").replace("Hello", "Jello");
    assert.ok((await verify(tampered)).every((r) => r.endsWith(":fail") || r.endsWith(":neutral")));
  });

  it("leaves a message unsigned when the domain has no key", async () => {
    const signed = await signMessage(Buffer.from(MESSAGE), keyring().keysFor("nokeys.test"));
    assert.deepEqual(signed.selectors, []);
    assert.equal(signed.raw.toString(), MESSAGE);
  });
});

describe("DKIM: keys", () => {
  it("refuses a key of the wrong algorithm, or no key at all, naming the file", () => {
    const rsa = h.config.dkim["example.test"]?.find((k) => k.algorithm === "rsa2048");
    assert.ok(rsa);
    assert.throws(
      () => readSigningKey("example.test", { ...rsa, algorithm: "ed25519" }),
      (error: unknown) => error instanceof DkimKeyError && error.message.startsWith(rsa.keyPath),
    );
    assert.throws(
      () => readSigningKey("example.test", { ...rsa, keyPath: join(h.dir, "missing.key") }),
      DkimKeyError,
    );
  });

  it("picks up a replaced key file without a restart, and keeps the old key when the new one is bad", async () => {
    const reloaded: string[] = [];
    const errors: string[] = [];
    const ring = new DkimKeyring({
      keys: h.config.dkim,
      debounceMs: 20,
      onReload: (keys) => reloaded.push(...keys.map((k) => k.selector)),
      onError: (error) => errors.push(error.message),
    });
    try {
      const before = ring.keysFor("other.test")[0]?.privateKeyPem;
      await replaceDkimKey(h, "other.test", "rsa1");
      await waitFor(() => reloaded.includes("rsa1"));
      const after = ring.keysFor("other.test")[0];
      assert.notEqual(after?.privateKeyPem, before);
      const signed = await signMessage(
        Buffer.from(MESSAGE.replace(/example\.test/g, "other.test")),
        ring.keysFor("other.test"),
      );
      assert.deepEqual(await verify(signed.raw), ["rsa1:rsa-sha256:pass"]);

      const keyPath = h.config.dkim["other.test"]?.[0]?.keyPath ?? "";
      await writeFile(keyPath, "not a key");
      await waitFor(() => errors.length > 0);
      assert.match(errors[0] ?? "", /not a PEM private key/);
      assert.equal(ring.keysFor("other.test")[0]?.privateKeyPem, after?.privateKeyPem);
      // Put a good key back for the other tests.
      await writeFile(
        keyPath,
        generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
          type: "pkcs8",
          format: "pem",
        }),
      );
    } finally {
      ring.close();
    }
  });
});

describe("DKIM: submitted mail", () => {
  async function submit(subject: string, to = "bob@example.test") {
    const t = await Transcript.open({ port: h.ports.submissions, tlsCa: h.caCert });
    await t.expect(220);
    await t.send("EHLO mua.example.test", 250);
    await t.send(`AUTH PLAIN ${plain("alice@example.test", PASSWORD)}`, 235);
    await t.send("MAIL FROM:<alice@example.test>", 250);
    await t.send(`RCPT TO:<${to}>`, 250);
    await t.send("DATA", 354);
    t.write(
      `From: alice@example.test\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nSigned by the MTA.\r\n.\r\n`,
    );
    await t.expect(250);
    t.close();
  }

  it("arrives in the local INBOX and in the queue with both signatures verifying", async () => {
    await submit("dkim-local");
    const [stored = ""] = (await h.messages("bob@example.test")).filter((m) =>
      m.includes("dkim-local"),
    );
    assert.deepEqual((await verify(stored)).sort(), [
      "ed1:ed25519-sha256:pass",
      "rsa1:rsa-sha256:pass",
    ]);
    await submit("dkim-remote", "someone@remote.test");
    const queued = Buffer.from(h.enqueued.at(-1)?.raw ?? []);
    assert.deepEqual((await verify(queued)).sort(), [
      "ed1:ed25519-sha256:pass",
      "rsa1:rsa-sha256:pass",
    ]);
  });

  it("signs with a rotated key as soon as its file is replaced", async () => {
    await replaceDkimKey(h, "example.test", "ed1");
    await new Promise((resolve) => setTimeout(resolve, 300)); // the watcher's debounce
    await submit("dkim-rotated");
    const [stored = ""] = (await h.messages("bob@example.test")).filter((m) =>
      m.includes("dkim-rotated"),
    );
    assert.deepEqual((await verify(stored)).sort(), [
      "ed1:ed25519-sha256:pass",
      "rsa1:rsa-sha256:pass",
    ]);
  });
});

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
