import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { createServer } from "node:tls";
import { ensureLocalCa, issueServerCertificate } from "./local-ca.ts";
import { handshake, listen, openssl, tempDir } from "./testing.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
const LOCAL_NAMES = { dnsNames: ["localhost", "mail.example.test"], ipAddresses: ["127.0.0.1"] };

test("the CA is created once, kept private, and reused across calls", async (t) => {
  const dir = join(await tempDir(t), "ca");
  const first = await ensureLocalCa(dir, { hostname: "devbox" });
  const second = await ensureLocalCa(dir, { hostname: "other" });

  assert.equal(first.created, true);
  assert.equal(second.created, false);
  assert.equal(second.fingerprint256, first.fingerprint256);
  assert.equal(second.caCert, first.caCert);
  assert.equal((await stat(first.caKeyPath)).mode & 0o777, 0o600);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.equal(await readFile(first.caCertPath, "utf8"), first.caCert);

  const text = (await openssl(["x509", "-in", first.caCertPath, "-noout", "-text"])).stdout;
  assert.match(text, /Subject: CN ?= ?mailstack local CA \(devbox\)/);
  assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  assert.match(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
  assert.match(text, /Public-Key: \(256 bit\)[\s\S]*NIST CURVE: P-256/);
  const years = (first.certificate.validToDate.getTime() - Date.now()) / (365 * DAY_MS);
  assert.ok(years > 9.9 && years < 10.1, `valid for ${years} years`);
});

test("concurrent first starts agree on one CA", async (t) => {
  const dir = await tempDir(t);
  const cas = await Promise.all([1, 2, 3, 4].map(() => ensureLocalCa(dir)));
  assert.equal(new Set(cas.map((ca) => ca.fingerprint256)).size, 1);
  assert.equal(cas.filter((ca) => ca.created).length, 1);
});

test("a key left without its certificate by a crash is completed, not replaced", async (t) => {
  const dir = await tempDir(t);
  const original = await ensureLocalCa(dir);
  const key = await readFile(original.caKeyPath, "utf8");
  await rm(original.caCertPath);
  const completed = await ensureLocalCa(dir);
  assert.equal(completed.created, true);
  assert.equal(await readFile(completed.caKeyPath, "utf8"), key);
  assert.equal(
    completed.certificate.publicKey.export({ format: "pem", type: "spki" }),
    original.certificate.publicKey.export({ format: "pem", type: "spki" }),
  );
});

test("a CA certificate without its key is refused, naming the missing file", async (t) => {
  const dir = await tempDir(t);
  const ca = await ensureLocalCa(dir);
  await rm(ca.caKeyPath);
  await assert.rejects(ensureLocalCa(dir), (error: Error & { code?: string }) => {
    assert.equal(error.code, "TLS_CA_INCOMPLETE");
    assert.ok(error.message.includes(ca.caKeyPath), error.message);
    return true;
  });
  assert.equal(await readFile(ca.caCertPath, "utf8"), ca.caCert);
});

test("a server certificate put in place of the CA is refused", async (t) => {
  const dir = await tempDir(t);
  const ca = await ensureLocalCa(join(dir, "ca"));
  const leaf = await issueServerCertificate(ca, { ...LOCAL_NAMES, dir, name: "leaf" });
  const fake = join(dir, "fake");
  await ensureLocalCa(fake);
  await writeFile(join(fake, "ca.pem"), await readFile(leaf.certPath));
  await writeFile(join(fake, "ca-key.pem"), await readFile(leaf.keyPath));
  await assert.rejects(ensureLocalCa(fake), { code: "TLS_NOT_CA", path: join(fake, "ca.pem") });
});

test("an expired CA is refused with what to do about it", async (t) => {
  const dir = await tempDir(t);
  await ensureLocalCa(dir, { now: () => new Date(Date.now() - 3651 * DAY_MS) });
  await assert.rejects(ensureLocalCa(dir), {
    code: "TLS_CERT_EXPIRED",
    message: /; delete .+ca\.pem/,
  });
});

test("a server certificate verifies with openssl and carries the server profile", async (t) => {
  const dir = await tempDir(t);
  const ca = await ensureLocalCa(join(dir, "ca"));
  const issued = await issueServerCertificate(ca, { ...LOCAL_NAMES, dir, name: "mta" });
  assert.equal(issued.issued, true);
  assert.equal(issued.reason, "missing");
  assert.equal((await stat(issued.keyPath)).mode & 0o777, 0o600);

  const strict = ["-x509_strict", "-purpose", "sslserver"];
  const verify = await openssl(["verify", ...strict, "-CAfile", ca.caCertPath, issued.certPath]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /: OK/);
  const stranger = await ensureLocalCa(join(dir, "other-ca"));
  const refused = await openssl(["verify", "-CAfile", stranger.caCertPath, issued.certPath]);
  assert.notEqual(refused.code, 0);

  const text = (await openssl(["x509", "-in", issued.certPath, "-noout", "-text"])).stdout;
  assert.match(text, /DNS:localhost, DNS:mail\.example\.test, IP Address:127\.0\.0\.1/);
  assert.match(text, /X509v3 Extended Key Usage: \s+TLS Web Server Authentication\n/);
  assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/);
  assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
  assert.match(text, /X509v3 Authority Key Identifier/);

  const chain = await readFile(issued.certPath, "utf8");
  assert.ok(chain.endsWith(ca.caCert), "the CA follows the leaf in the chain file");
  const leaf = new X509Certificate(chain);
  const days = (leaf.validToDate.getTime() - leaf.validFromDate.getTime()) / DAY_MS;
  assert.ok(days <= 397, `valid for ${days} days`);
  assert.equal(leaf.fingerprint256, issued.fingerprint256);
});

test("Node's TLS client trusts the issued certificate through the CA, and only that CA", async (t) => {
  const dir = await tempDir(t);
  const ca = await ensureLocalCa(join(dir, "ca"));
  const other = await ensureLocalCa(join(dir, "other-ca"));
  const issued = await issueServerCertificate(ca, { ...LOCAL_NAMES, dir, name: "imap" });
  const server = createServer({
    key: await readFile(issued.keyPath),
    cert: await readFile(issued.certPath),
  });
  const port = await listen(t, server);

  const byName = await handshake(port, { ca: [ca.caCert], servername: "localhost" });
  assert.equal(byName.fingerprint256, issued.fingerprint256);
  const byAddress = await handshake(port, { ca: [ca.caCert] });
  assert.equal(byAddress.fingerprint256, issued.fingerprint256);
  await assert.rejects(handshake(port, { ca: [other.caCert], servername: "localhost" }), {
    // The chain file carries our root, which the stranger CA does not vouch for.
    code: "SELF_SIGNED_CERT_IN_CHAIN",
  });
  await assert.rejects(handshake(port, { ca: [ca.caCert], servername: "elsewhere.test" }), {
    code: "ERR_TLS_CERT_ALTNAME_INVALID",
  });
});

test("a certificate that is still good is kept; each defect causes a reissue", async (t) => {
  const dir = await tempDir(t);
  const ca = await ensureLocalCa(join(dir, "ca"));
  const request = { ...LOCAL_NAMES, dir, name: "pop3" };
  const first = await issueServerCertificate(ca, request);

  const kept = await issueServerCertificate(ca, { ...request, dnsNames: ["LOCALHOST"] });
  assert.deepEqual([kept.issued, kept.reason], [false, undefined]);
  assert.equal(kept.fingerprint256, first.fingerprint256);

  const widened = await issueServerCertificate(ca, {
    ...request,
    ipAddresses: ["127.0.0.1", "::1"],
  });
  assert.deepEqual([widened.issued, widened.reason], [true, "does not cover ::1"]);
  assert.notEqual(widened.fingerprint256, first.fingerprint256);

  const later = () => new Date(Date.now() + 370 * DAY_MS);
  const renewed = await issueServerCertificate(ca, { ...request, now: later });
  assert.equal(renewed.issued, true);
  assert.match(renewed.reason ?? "", /^expires within 30 days/);

  const otherCa = await ensureLocalCa(join(dir, "other-ca"));
  const moved = await issueServerCertificate(otherCa, request);
  assert.deepEqual([moved.issued, moved.reason], [true, "issued by a different CA"]);
  const verify = await openssl(["verify", "-CAfile", otherCa.caCertPath, moved.certPath]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);

  const strayKey = await issueServerCertificate(otherCa, { ...request, name: "stray" });
  await writeFile(moved.keyPath, await readFile(strayKey.keyPath));
  const rekeyed = await issueServerCertificate(otherCa, request);
  assert.deepEqual([rekeyed.issued, rekeyed.reason], [true, "key does not match certificate"]);

  await writeFile(rekeyed.certPath, "garbage");
  const repaired = await issueServerCertificate(otherCa, request);
  assert.equal(repaired.issued, true);
  assert.match(repaired.reason ?? "", /not a PEM file/);

  await rm(repaired.keyPath);
  const restored = await issueServerCertificate(otherCa, request);
  assert.deepEqual([restored.issued, restored.reason], [true, "missing"]);
});

test("names that cannot go into a certificate are refused before anything is written", async (t) => {
  const dir = await tempDir(t);
  const ca = await ensureLocalCa(join(dir, "ca"));
  for (const bad of [
    { dnsNames: ["bad name"], ipAddresses: [] },
    { dnsNames: ["-leading.test"], ipAddresses: [] },
    { dnsNames: [], ipAddresses: ["999.1.1.1"] },
    { dnsNames: [], ipAddresses: [] },
  ]) {
    await assert.rejects(issueServerCertificate(ca, { ...bad, dir, name: "x" }), {
      code: "TLS_BAD_NAME",
    });
  }
  await assert.rejects(issueServerCertificate(ca, { ...LOCAL_NAMES, dir, name: "../x" }), {
    code: "TLS_BAD_NAME",
  });
});
