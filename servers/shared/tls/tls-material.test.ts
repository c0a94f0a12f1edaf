import assert from "node:assert/strict";
import { once } from "node:events";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import tls, { connect, createServer } from "node:tls";
import { ensureLocalCa, issueServerCertificate, type LocalCa } from "./local-ca.ts";
import type { TlsError } from "./tls-errors.ts";
import {
  loadTlsMaterial,
  type TlsMaterial,
  type TlsMaterialOptions,
  type TlsReloadEvent,
} from "./tls-material.ts";
import { delay, handshake, listen, nextEvent, openssl, tempDir } from "./testing.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
const NAMES = { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] };
const FAST = { debounceMs: 50, retryMs: 400 };

interface Fixture {
  readonly dir: string;
  readonly ca: LocalCa;
  readonly certPath: string;
  readonly keyPath: string;
  readonly fingerprint256: string;
}

async function fixture(t: TestContext, now?: () => Date): Promise<Fixture> {
  const dir = await tempDir(t);
  const ca = await ensureLocalCa(join(dir, "ca"));
  const live = await issueServerCertificate(ca, {
    ...NAMES,
    dir: join(dir, "live"),
    name: "mta",
    now,
  });
  return {
    dir,
    ca,
    certPath: live.certPath,
    keyPath: live.keyPath,
    fingerprint256: live.fingerprint256,
  };
}

/** Issues a new pair elsewhere, then renames it over the live files the way ACME clients do. */
async function renew(f: Fixture, options: { gapMs?: number } = {}): Promise<string> {
  const next = await issueServerCertificate(f.ca, {
    ...NAMES,
    dir: join(f.dir, "staging"),
    name: "next",
  });
  await rename(next.keyPath, f.keyPath);
  if (options.gapMs) await delay(options.gapMs);
  await rename(next.certPath, f.certPath);
  return next.fingerprint256;
}

function load(t: TestContext, options: TlsMaterialOptions): TlsMaterial {
  const material = loadTlsMaterial(options);
  t.after(() => material.close());
  return material;
}

/** A real server on the material, echoing bytes so open connections can be checked for life. */
async function serve(t: TestContext, material: TlsMaterial): Promise<number> {
  const server = createServer(material.options(), (socket) => socket.pipe(socket));
  material.attach(server);
  return listen(t, server);
}

test("initial load fails with the file path and what is wrong with it", async (t) => {
  const f = await fixture(t);
  const other = await issueServerCertificate(f.ca, { ...NAMES, dir: f.dir, name: "other" });
  const bad = (name: string, text: string) =>
    writeFile(join(f.dir, name), text).then(() => join(f.dir, name));
  const encrypted = join(f.dir, "encrypted-key.pem");
  const pkcs8 = ["pkcs8", "-topk8", "-in", f.keyPath, "-out", encrypted, "-passout", "pass:x"];
  assert.equal((await openssl(pkcs8)).code, 0);
  const cases: [Partial<TlsMaterialOptions>, string, string][] = [
    [{ certPath: join(f.dir, "absent.pem") }, "TLS_FILE_MISSING", join(f.dir, "absent.pem")],
    [{ certPath: f.keyPath }, "TLS_NOT_PEM", f.keyPath],
    [{ keyPath: f.certPath }, "TLS_NOT_PEM", f.certPath],
    [
      {
        certPath: await bad(
          "corrupt.pem",
          "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ),
      },
      "TLS_CERT_INVALID",
      join(f.dir, "corrupt.pem"),
    ],
    [{ keyPath: other.keyPath }, "TLS_KEY_MISMATCH", other.keyPath],
    [{ keyPath: encrypted }, "TLS_KEY_INVALID", encrypted],
    [
      { caPath: await bad("ca-garbage.pem", "garbage") },
      "TLS_NOT_PEM",
      join(f.dir, "ca-garbage.pem"),
    ],
  ];
  for (const [override, code, path] of cases) {
    const options = { certPath: f.certPath, keyPath: f.keyPath, watch: false, ...override };
    assert.throws(
      () => loadTlsMaterial(options),
      (error: TlsError) => {
        assert.equal(error.code, code, error.message);
        assert.equal(error.path, path);
        assert.ok(error.message.startsWith(`${path}: `), error.message);
        return true;
      },
    );
  }
});

test("an expired or expiring certificate loads with a warning rather than an error", async (t) => {
  for (const [ageDays, code] of [
    [400, "TLS_CERT_EXPIRED"],
    [390, "TLS_CERT_EXPIRING"],
  ] as const) {
    const f = await fixture(t, () => new Date(Date.now() - ageDays * DAY_MS));
    const warnings: TlsError[] = [];
    const material = load(t, { ...f, watch: false, onWarning: (w) => warnings.push(w) });
    assert.deepEqual(
      warnings.map((w) => [w.code, w.path]),
      [[code, f.certPath]],
    );
    assert.deepEqual(material.warnings, warnings);
  }
  const fresh = await fixture(t);
  assert.deepEqual(load(t, { ...fresh, watch: false }).warnings, []);
});

test("serves the certificate to clients trusting the CA, at TLS 1.2 or later only", async (t) => {
  // As if the process ran with --tls-min-v1.0: the material's own floor must hold regardless.
  const defaultMin = tls.DEFAULT_MIN_VERSION;
  tls.DEFAULT_MIN_VERSION = "TLSv1";
  t.after(() => (tls.DEFAULT_MIN_VERSION = defaultMin));
  const f = await fixture(t);
  const stranger = await ensureLocalCa(join(f.dir, "stranger"));
  const material = load(t, { ...f, watch: false });
  assert.equal(material.options().minVersion, "TLSv1.2");
  const port = await serve(t, material);

  const ok = await handshake(port, { ca: [f.ca.caCert], servername: "localhost" });
  assert.equal(ok.fingerprint256, f.fingerprint256);
  assert.equal(material.fingerprint256, f.fingerprint256);
  const tls12 = await handshake(port, {
    ca: [f.ca.caCert],
    servername: "localhost",
    maxVersion: "TLSv1.2",
  });
  assert.equal(tls12.protocol, "TLSv1.2");
  await assert.rejects(handshake(port, { ca: [stranger.caCert], servername: "localhost" }), {
    code: "SELF_SIGNED_CERT_IN_CHAIN",
  });
  // SECLEVEL=0 lets this client offer TLS 1.1 at all, so the refusal comes from the server.
  const old = {
    ca: [f.ca.caCert],
    minVersion: "TLSv1",
    maxVersion: "TLSv1.1",
    ciphers: "DEFAULT:@SECLEVEL=0",
  } as const;
  await assert.rejects(handshake(port, { ...old, ca: [f.ca.caCert], servername: "localhost" }), {
    code: "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
  });
});

test("renewed files replaced by rename reach new connections while the server keeps running", async (t) => {
  const f = await fixture(t);
  const errors: TlsError[] = [];
  const material = load(t, { ...f, ...FAST, onError: (e) => errors.push(e) });
  const port = await serve(t, material);
  // Without attach, only the SNICallback in options() brings the new context to new connections.
  const sniOnlyPort = await listen(t, createServer(material.options()));

  const early = connect({ host: "127.0.0.1", port, ca: [f.ca.caCert], servername: "localhost" });
  t.after(() => early.destroy());
  await once(early, "secureConnect");

  const reloaded = nextEvent<TlsReloadEvent>((l) => material.on("reload", l), 5000, "reload");
  const renewed = await renew(f);
  const event = await reloaded;
  assert.deepEqual(
    [event.previousFingerprint256, event.fingerprint256],
    [f.fingerprint256, renewed],
  );
  assert.notEqual(renewed, f.fingerprint256);

  const withSni = await handshake(port, { ca: [f.ca.caCert], servername: "localhost" });
  assert.equal(withSni.fingerprint256, renewed);
  const withoutSni = await handshake(port, { ca: [f.ca.caCert] });
  assert.equal(withoutSni.fingerprint256, renewed);
  const sniOnly = await handshake(sniOnlyPort, { ca: [f.ca.caCert], servername: "localhost" });
  assert.equal(sniOnly.fingerprint256, renewed);

  early.write("still here");
  const [echo] = (await once(early, "data")) as [Buffer];
  assert.equal(echo.toString(), "still here");
  assert.equal(early.getPeerCertificate().fingerprint256, f.fingerprint256);
  assert.deepEqual(errors, []);
});

test("a garbage replacement keeps the old certificate and reports the file", async (t) => {
  const f = await fixture(t);
  const material = load(t, { ...f, ...FAST });
  const port = await serve(t, material);

  const failed = nextEvent<TlsError>((l) => material.on("error", l), 5000, "error");
  const garbage = join(f.dir, "live", ".incoming");
  await writeFile(garbage, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n");
  await rename(garbage, f.certPath);
  const error = await failed;
  assert.equal(error.path, f.certPath);
  assert.equal(error.code, "TLS_NOT_PEM");

  assert.equal(material.fingerprint256, f.fingerprint256);
  const still = await handshake(port, { ca: [f.ca.caCert], servername: "localhost" });
  assert.equal(still.fingerprint256, f.fingerprint256);

  // A good pair afterwards is picked up: one bad renewal does not stop the watcher.
  const reloaded = nextEvent<TlsReloadEvent>((l) => material.on("reload", l), 5000, "reload");
  const renewed = await renew(f);
  assert.equal((await reloaded).fingerprint256, renewed);
  assert.equal(
    (await handshake(port, { ca: [f.ca.caCert], servername: "localhost" })).fingerprint256,
    renewed,
  );
});

test("a key replaced shortly before its certificate is not reported as a mismatch", async (t) => {
  const f = await fixture(t);
  const errors: TlsError[] = [];
  const material = load(t, { ...f, ...FAST, onError: (e) => errors.push(e) });
  const reloaded = nextEvent<TlsReloadEvent>((l) => material.on("reload", l), 5000, "reload");
  // Longer than the debounce, so the key alone is read (and found mismatched) first.
  const renewed = await renew(f, { gapMs: FAST.debounceMs * 4 });
  assert.equal((await reloaded).fingerprint256, renewed);
  await delay(FAST.retryMs + 100);
  assert.deepEqual(errors, []);
});

test("close stops watching; reload() still reads the files on demand", async (t) => {
  const f = await fixture(t);
  const reloads: string[] = [];
  const errors: TlsError[] = [];
  const material = load(t, {
    ...f,
    ...FAST,
    onReload: (e) => reloads.push(e.fingerprint256),
    onError: (e) => errors.push(e),
  });
  assert.equal(material.reload(), false, "unchanged files are not a reload");
  material.close();
  const renewed = await renew(f);
  await delay(FAST.debounceMs + FAST.retryMs + 200);
  assert.deepEqual(reloads, []);
  assert.equal(material.fingerprint256, f.fingerprint256);

  assert.equal(material.reload(), true);
  assert.deepEqual(reloads, [renewed]);
  assert.equal(material.fingerprint256, renewed);

  await writeFile(f.keyPath, await readFile(f.certPath));
  assert.equal(material.reload(), false);
  assert.deepEqual(
    errors.map((e) => [e.code, e.path]),
    [["TLS_NOT_PEM", f.keyPath]],
  );
  assert.equal(material.fingerprint256, renewed);
});
