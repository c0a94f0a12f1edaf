// tls.mode files: real PEM files made with openssl in a temp directory, read directly and
// through the Certificate component under Pulumi mocks.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { installMocks, isSecret, registeredResources, resolve } from "./testing.ts";

const declared = await installMocks();
const { Certificate, TlsFileError } = await import("./certificate.ts");
const { readCertificateFiles } = await import("./pem-files.ts");

const NAMES = ["mail.example.com", "mta-sts.example.com", "autoconfig.example.com"];
let dir = "";
const path = (file: string) => join(dir, file);

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function selfSigned(name: string, sans: readonly string[]): void {
  const altNames = sans.map((s) => `DNS:${s}`).join(",");
  // prettier-ignore
  openssl(
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", path(`${name}-key.pem`), "-out", path(`${name}.pem`), "-days", "90",
    "-subj", `/CN=${sans[0]}`, "-addext", `subjectAltName=${altNames}`,
  );
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "mailstack-tls-files-"));
  selfSigned("leaf", NAMES);
  selfSigned("intermediate", ["intermediate.example.net"]);
  selfSigned("other", ["other.example.net"]);
  const leaf = readFileSync(path("leaf.pem"), "utf8");
  const intermediate = readFileSync(path("intermediate.pem"), "utf8");
  writeFileSync(path("bundle.pem"), leaf + intermediate);
  writeFileSync(path("combined-key.pem"), leaf + readFileSync(path("leaf-key.pem"), "utf8"));
  writeFileSync(path("not-pem.txt"), "this is not a certificate\n");
  // prettier-ignore
  openssl(
    "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:secret",
    "-in", path("leaf-key.pem"), "-out", path("encrypted-key.pem"),
  );
});

after(() => rmSync(dir, { recursive: true, force: true }));

const read = (files: { certFile: string; keyFile: string; chainFile?: string }, now?: Date) =>
  readCertificateFiles({ mode: "files", ...files }, { baseDir: dir, names: NAMES, now });

/** Asserts a TlsFileError with the code, naming the config key and the resolved path. */
function assertFileError(fn: () => unknown, code: string, key: string, file: string): void {
  assert.throws(fn, (error: Error) => {
    assert.ok(error instanceof TlsFileError, `${error.name}: ${error.message}`);
    assert.equal(error.code, code);
    assert.equal(error.key, key);
    assert.equal(error.path, path(file));
    assert.ok(error.message.startsWith(`${key}: ${path(file)}: `), error.message);
    return true;
  });
}

describe("readCertificateFiles", () => {
  it("splits the leaf from the chain of certFile and appends chainFile", () => {
    const files = read({
      certFile: "bundle.pem",
      keyFile: "leaf-key.pem",
      chainFile: "other.pem",
    });
    assert.equal(files.certificatePem.trim(), readFileSync(path("leaf.pem"), "utf8").trim());
    const chain = files.chainPem.match(/BEGIN CERTIFICATE/g) ?? [];
    assert.equal(chain.length, 2);
    assert.ok(files.chainPem.startsWith(readFileSync(path("intermediate.pem"), "utf8").trim()));
    assert.match(
      files.privateKeyPem,
      /^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/,
    );
    assert.ok(!Number.isNaN(Date.parse(files.notAfter)));
    assert.deepEqual(files.warnings, []);
  });

  it("takes the key block alone from a file that also holds the certificate", () => {
    const files = read({ certFile: "leaf.pem", keyFile: "combined-key.pem" });
    assert.ok(!files.privateKeyPem.includes("CERTIFICATE"));
    assert.equal(files.chainPem, "");
  });

  it("resolves relative paths from baseDir and accepts absolute ones", () => {
    const files = read({ certFile: path("leaf.pem"), keyFile: "leaf-key.pem" });
    assert.match(files.certificatePem, /BEGIN CERTIFICATE/);
  });

  it("names the key and the path when a file is missing", () => {
    assertFileError(
      () => read({ certFile: "missing.pem", keyFile: "leaf-key.pem" }),
      "TLS_FILE_MISSING",
      "mailstack:tls.certFile",
      "missing.pem",
    );
    assertFileError(
      () => read({ certFile: "leaf.pem", keyFile: "missing-key.pem" }),
      "TLS_FILE_MISSING",
      "mailstack:tls.keyFile",
      "missing-key.pem",
    );
    assertFileError(
      () => read({ certFile: "leaf.pem", keyFile: "leaf-key.pem", chainFile: "gone.pem" }),
      "TLS_FILE_MISSING",
      "mailstack:tls.chainFile",
      "gone.pem",
    );
  });

  it("refuses files that are not PEM", () => {
    const cases = [
      [{ certFile: "not-pem.txt", keyFile: "leaf-key.pem" }, "mailstack:tls.certFile"],
      [{ certFile: "leaf.pem", keyFile: "not-pem.txt" }, "mailstack:tls.keyFile"],
      [{ certFile: "leaf.pem", keyFile: "leaf.pem" }, "mailstack:tls.keyFile"],
      [
        { certFile: "leaf.pem", keyFile: "leaf-key.pem", chainFile: "not-pem.txt" },
        "mailstack:tls.chainFile",
      ],
    ] as const;
    for (const [files, key] of cases) {
      const file = key.endsWith("certFile")
        ? files.certFile
        : key.endsWith("keyFile")
          ? files.keyFile
          : "not-pem.txt";
      assertFileError(() => read(files), "TLS_NOT_PEM", key, file);
    }
  });

  it("refuses a key that is not the certificate's, and an encrypted key", () => {
    assertFileError(
      () => read({ certFile: "leaf.pem", keyFile: "other-key.pem" }),
      "TLS_KEY_MISMATCH",
      "mailstack:tls.keyFile",
      "other-key.pem",
    );
    assertFileError(
      () => read({ certFile: "leaf.pem", keyFile: "encrypted-key.pem" }),
      "TLS_KEY_INVALID",
      "mailstack:tls.keyFile",
      "encrypted-key.pem",
    );
  });

  it("warns about names the certificate does not cover and about expiry", () => {
    const files = readCertificateFiles(
      { mode: "files", certFile: "leaf.pem", keyFile: "leaf-key.pem" },
      { baseDir: dir, names: [...NAMES, "mta-sts.example.org"] },
    );
    assert.equal(files.warnings.length, 1);
    assert.match(files.warnings[0] ?? "", /does not cover mta-sts\.example\.org;/);

    // The files are valid 90 days: in 80 days they are due for renewal, in 400 long expired.
    const inDays = (days: number) => new Date(Date.now() + days * 24 * 60 * 60 * 1000);
    const pair = { certFile: "leaf.pem", keyFile: "leaf-key.pem" };
    assert.deepEqual(read(pair, inDays(1)).warnings, []);
    assert.match(read(pair, inDays(80)).warnings[0] ?? "", /expires in \d+ days; renew it/);
    assert.match(read(pair, inDays(400)).warnings[0] ?? "", /expired on/);
  });
});

describe("Certificate, files", () => {
  it("exposes the files' certificate and chain, the key as a secret, and declares nothing", async () => {
    const cert = new Certificate("byo", {
      tls: { mode: "files", certFile: "bundle.pem", keyFile: "leaf-key.pem" },
      hostname: "mail.example.com",
      domains: ["example.com"],
      baseDir: dir,
    });
    const leaf = await resolve(cert.certificatePem);
    const chain = await resolve(cert.chainPem);
    assert.equal(leaf.trim(), readFileSync(path("leaf.pem"), "utf8").trim());
    assert.match(chain, /BEGIN CERTIFICATE/);
    assert.equal(await resolve(cert.fullChainPem), leaf + chain);
    assert.equal(await resolve(cert.caCertificatePem), undefined);
    assert.match(await resolve(cert.privateKeyPem), /BEGIN PRIVATE KEY/);
    assert.equal(await isSecret(cert.privateKeyPem), true);
    assert.equal(await isSecret(cert.certificatePem), false);
    assert.deepEqual(
      declared.filter((d) => d.name.startsWith("byo-")),
      [],
    );
  });

  it("fails before registering anything when a file is bad", () => {
    assert.throws(
      () =>
        new Certificate("byo-bad", {
          tls: { mode: "files", certFile: "missing.pem", keyFile: "leaf-key.pem" },
          hostname: "mail.example.com",
          domains: [],
          baseDir: dir,
        }),
      (error: Error) =>
        error instanceof TlsFileError && /mailstack:tls\.certFile/.test(error.message),
    );
    assert.equal(declared.filter((d) => d.name === "byo-bad").length, 0);
    assert.ok(!registeredResources().some((r) => r.urn.endsWith("::byo-bad")));
  });
});
