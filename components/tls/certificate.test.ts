// The Certificate component under Pulumi mocks: selfSigned and acme. files mode: pem-files.test.ts.
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ACME_DIRECTORIES, type TlsConfig } from "../../stacks/schema/tls.ts";
import type { CertificateArgs } from "./certificate.ts";
import {
  fakeCertificatePem,
  installMocks,
  isSecret,
  isSecretValue,
  parseUrn,
  registeredResources,
  resolve,
  type Declared,
} from "./testing.ts";

// setMocks before the component module loads (ESM runs static imports first).
const declared = await installMocks();
const { Certificate, CERTIFICATE_TYPE } = await import("./certificate.ts");

const HOST = "mail.example.com";
const DOMAINS = ["example.com", "example.org"];
const NAMES = [
  HOST,
  "mta-sts.example.com",
  "autoconfig.example.com",
  "autodiscover.example.com",
  "mta-sts.example.org",
  "autoconfig.example.org",
  "autodiscover.example.org",
];
const SELF_SIGNED: TlsConfig = { mode: "selfSigned", validityDays: 365 };
const ACME: TlsConfig = {
  mode: "acme",
  email: "hostmaster@example.com",
  server: "production",
  renewDays: 30,
};

/** Builds a component and waits until its outputs and its children are all registered. */
async function build(
  name: string,
  args: Partial<CertificateArgs> & Pick<CertificateArgs, "tls">,
  opts?: pulumi.ComponentResourceOptions,
) {
  const cert = new Certificate(name, { hostname: HOST, domains: DOMAINS, ...args }, opts);
  const outputs = {
    certificatePem: await resolve(cert.certificatePem),
    chainPem: await resolve(cert.chainPem),
    fullChainPem: await resolve(cert.fullChainPem),
    privateKeyPem: await resolve(cert.privateKeyPem),
    caCertificatePem: await resolve(cert.caCertificatePem),
    notAfter: await resolve(cert.notAfter),
  };
  const children = declared.filter((d) => d.name.startsWith(`${name}-`));
  return { cert, outputs, children, byName: (role: string) => find(children, `${name}-${role}`) };
}

function find(list: readonly Declared[], name: string): Declared {
  const found = list.find((d) => d.name === name);
  assert.ok(found, `no resource named ${name}`);
  return found;
}

/** The component's registered outputs, once registerOutputs has reached the mock monitor. */
async function registeredOutputs(name: string): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const entry = registeredResources().find((r) => {
      const { type, name: n } = parseUrn(r.urn);
      return type === CERTIFICATE_TYPE && n === name;
    });
    const state = entry?.state as { toJavaScript?: () => Record<string, unknown> } | undefined;
    if (typeof state?.toJavaScript === "function") return state.toJavaScript();
    await new Promise((done) => setTimeout(done, 10));
  }
  throw new Error(`registerOutputs of ${name} never arrived`);
}

/** Every string in `value` that holds key material must sit inside a secret. */
function assertKeysOnlyInSecrets(value: unknown, path = "outputs"): void {
  if (isSecretValue(value)) return;
  if (typeof value === "string") {
    assert.ok(!value.includes("PRIVATE KEY"), `${path} holds a private key in plain text`);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => assertKeysOnlyInSecrets(item, `${path}[${i}]`));
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) assertKeysOnlyInSecrets(v, `${path}.${k}`);
  }
}

/** Children parented to a Certificate, named with its prefix, and no name used twice. */
async function assertParentedAndUnique(name: string, children: readonly Declared[]) {
  await registeredOutputs(name);
  const all = registeredResources().map((r) => parseUrn(r.urn));
  for (const child of children) {
    const urn = all.find((u) => u.name === child.name && u.type === child.type);
    assert.ok(urn, `${child.name} was not registered`);
    assert.equal(urn.parentType, CERTIFICATE_TYPE, `${child.name} is not a child of the component`);
  }
  const keys = all.map((u) => `${u.type}::${u.name}`);
  assert.equal(new Set(keys).size, keys.length, "a type and name pair is used twice");
}

async function assertSecretsHandled(name: string, cert: InstanceType<typeof Certificate>) {
  assert.equal(await isSecret(cert.privateKeyPem), true, "privateKeyPem must be secret");
  for (const output of [cert.certificatePem, cert.chainPem, cert.fullChainPem, cert.notAfter]) {
    assert.equal(await isSecret(output), false, "a public output was marked secret");
  }
  const registered = await registeredOutputs(name);
  assert.ok(isSecretValue(registered["privateKeyPem"]), "privateKeyPem registered in plain text");
  assertKeysOnlyInSecrets(registered);
}

describe("Certificate, selfSigned", () => {
  it("declares a stack CA and a server certificate it signs", async () => {
    const { children, byName } = await build("ss", { tls: SELF_SIGNED });
    assert.deepEqual(children.map((c) => `${c.type} ${c.name}`).sort(), [
      "tls:index/certRequest:CertRequest ss-csr",
      "tls:index/locallySignedCert:LocallySignedCert ss-cert",
      "tls:index/privateKey:PrivateKey ss-ca-key",
      "tls:index/privateKey:PrivateKey ss-key",
      "tls:index/selfSignedCert:SelfSignedCert ss-ca",
    ]);
    const caKey = byName("ca-key").inputs;
    assert.deepEqual([caKey["algorithm"], caKey["ecdsaCurve"]], ["ECDSA", "P256"]);
    const ca = byName("ca").inputs;
    assert.equal(ca["isCaCertificate"], true);
    assert.deepEqual(ca["allowedUses"], ["cert_signing", "crl_signing"]);
    assert.equal(ca["validityPeriodHours"], 3650 * 24);
    assert.equal(ca["earlyRenewalHours"], 30 * 24);
    assert.equal(ca["setAuthorityKeyId"], true);
    assert.ok(isSecretValue(ca["privateKeyPem"]), "the CA key reaches the provider as a secret");

    const csr = byName("csr").inputs;
    assert.deepEqual(csr["dnsNames"], NAMES);
    assert.deepEqual(csr["subject"], { commonName: HOST });
    const leaf = byName("cert").inputs;
    assert.equal(leaf["isCaCertificate"] ?? false, false);
    assert.deepEqual(leaf["allowedUses"], ["digital_signature", "server_auth"]);
    assert.equal(leaf["validityPeriodHours"], 365 * 24);
    assert.equal(leaf["earlyRenewalHours"], 30 * 24);
    assert.equal(leaf["caCertPem"], fakeCertificatePem("ss-ca"), "signed by the stack CA");
    assert.ok(isSecretValue(leaf["caPrivateKeyPem"]));
    assert.match(String(leaf["certRequestPem"]), /ss-csr/);
  });

  it("exposes the leaf, the CA as chain and trust anchor, and the key as a secret", async () => {
    const { cert, outputs } = await build("ss-out", { tls: SELF_SIGNED });
    assert.equal(outputs.certificatePem, fakeCertificatePem("ss-out-cert"));
    assert.equal(outputs.chainPem, fakeCertificatePem("ss-out-ca"));
    assert.equal(outputs.caCertificatePem, fakeCertificatePem("ss-out-ca"));
    assert.equal(outputs.fullChainPem, outputs.certificatePem + outputs.chainPem);
    assert.equal(createPrivateKey(outputs.privateKeyPem).asymmetricKeyType, "ec");
    assert.equal(outputs.notAfter, "2027-01-01T00:00:00Z");
    assert.deepEqual(cert.names, NAMES);
    await assertSecretsHandled("ss-out", cert);
  });

  it("parents every child and names it with the component's prefix", async () => {
    const { children } = await build("ss-tree", { tls: SELF_SIGNED });
    assert.equal(children.length, 5);
    await assertParentedAndUnique("ss-tree", children);
  });

  it("takes validity from the config and renews short certificates a third early", async () => {
    const { byName } = await build("ss-short", { tls: { mode: "selfSigned", validityDays: 30 } });
    assert.equal(byName("cert").inputs["validityPeriodHours"], 30 * 24);
    assert.equal(byName("cert").inputs["earlyRenewalHours"], 10 * 24);
  });

  it("issues an RSA server key with keyEncipherment when asked", async () => {
    const { byName, outputs } = await build("ss-rsa", {
      tls: SELF_SIGNED,
      keyAlgorithm: "rsa2048",
    });
    assert.deepEqual(
      [byName("key").inputs["algorithm"], byName("key").inputs["rsaBits"]],
      ["RSA", 2048],
    );
    assert.deepEqual(byName("cert").inputs["allowedUses"], [
      "digital_signature",
      "key_encipherment",
      "server_auth",
    ]);
    assert.equal(createPrivateKey(outputs.privateKeyPem).asymmetricKeyType, "rsa");
  });
});

describe("Certificate, acme", () => {
  it("declares a provider at the directory, an account and a DNS-01 certificate", async () => {
    const { children, byName } = await build("le", { tls: ACME, cloudflare: { apiToken: "tok" } });
    assert.deepEqual(children.map((c) => `${c.type} ${c.name}`).sort(), [
      "acme:index/certificate:Certificate le-cert",
      "acme:index/registration:Registration le-account",
      "pulumi:providers:acme le-acme",
      "tls:index/privateKey:PrivateKey le-account-key",
    ]);
    assert.equal(byName("acme").inputs["serverUrl"], ACME_DIRECTORIES.production);
    const providerRef = (d: Declared) => d.provider.split("::").slice(-2).join("::");
    const account = byName("account");
    assert.equal(account.inputs["emailAddress"], "hostmaster@example.com");
    assert.ok(isSecretValue(account.inputs["accountKeyPem"]));
    assert.equal(providerRef(account), "le-acme::le-acme-id");

    const order = byName("cert");
    assert.equal(providerRef(order), "le-acme::le-acme-id");
    assert.equal(order.inputs["commonName"], HOST);
    assert.deepEqual(order.inputs["subjectAlternativeNames"], NAMES.slice(1));
    assert.equal(order.inputs["keyType"], "P256");
    assert.equal(order.inputs["minDaysRemaining"], 30);
    assert.ok(isSecretValue(order.inputs["accountKeyPem"]));
    const challenges = order.inputs["dnsChallenges"];
    assert.ok(
      isSecretValue(challenges),
      "the Cloudflare token must reach the provider as a secret",
    );
    assert.deepEqual(challenges.value, [
      { provider: "cloudflare", config: { CF_DNS_API_TOKEN: "tok" } },
    ]);
  });

  it("exposes the leaf, the issuer chain and the key as a secret, and no CA", async () => {
    const { cert, outputs, children } = await build("le-out", {
      tls: ACME,
      cloudflare: { apiToken: pulumi.secret("tok") },
    });
    assert.equal(outputs.certificatePem, fakeCertificatePem("le-out-cert"));
    assert.equal(outputs.chainPem, fakeCertificatePem("le-out-cert issuer"));
    assert.equal(outputs.fullChainPem, outputs.certificatePem + outputs.chainPem);
    assert.equal(outputs.caCertificatePem, undefined);
    assert.equal(createPrivateKey(outputs.privateKeyPem).asymmetricKeyType, "ec");
    await assertSecretsHandled("le-out", cert);
    await assertParentedAndUnique("le-out", children);
  });

  it("replaces the account and certificate when the directory changes", async () => {
    // Resource options are not shown to mocks; a transformation (inherited by children) sees them.
    const seen = new Map<string, pulumi.CustomResourceOptions>();
    const record: pulumi.ResourceTransformation = ({ name, opts }) => {
      seen.set(name, opts);
      return undefined;
    };
    await build(
      "le-trig",
      { tls: ACME, cloudflare: { apiToken: "tok" } },
      {
        transformations: [record],
      },
    );
    for (const role of ["account", "cert"]) {
      assert.equal(seen.get(`le-trig-${role}`)?.replacementTrigger, ACME_DIRECTORIES.production);
    }
  });

  it("uses the staging directory or a given URL, renewDays and an RSA key type", async () => {
    const staging = await build("le-stg", {
      tls: { ...ACME, server: "staging", renewDays: 45 },
      keyAlgorithm: "rsa2048",
      cloudflare: { apiToken: "tok" },
    });
    assert.equal(staging.byName("acme").inputs["serverUrl"], ACME_DIRECTORIES.staging);
    assert.equal(staging.byName("cert").inputs["minDaysRemaining"], 45);
    assert.equal(staging.byName("cert").inputs["keyType"], "2048");
    const other = await build("le-url", {
      tls: { ...ACME, server: "https://ca.example/acme/directory" },
      cloudflare: { apiToken: "tok" },
    });
    assert.equal(other.byName("acme").inputs["serverUrl"], "https://ca.example/acme/directory");
  });

  it("puts every name in the SANs when the host name is too long for a CN", async () => {
    const host = `${"m".repeat(60)}.example.com`;
    const { byName } = await build("le-long", {
      tls: ACME,
      hostname: host,
      cloudflare: { apiToken: "tok" },
    });
    assert.equal(byName("cert").inputs["commonName"], undefined);
    assert.deepEqual(byName("cert").inputs["subjectAlternativeNames"], [host, ...NAMES.slice(1)]);
  });

  it("reads the token from the stack secret cloudflare:apiToken when not given", async () => {
    pulumi.runtime.setAllConfig({ "cloudflare:apiToken": "from-config" }, ["cloudflare:apiToken"]);
    try {
      const { byName } = await build("le-cfg", { tls: ACME });
      const challenges = byName("cert").inputs["dnsChallenges"];
      assert.ok(isSecretValue(challenges));
      assert.deepEqual(challenges.value, [
        { provider: "cloudflare", config: { CF_DNS_API_TOKEN: "from-config" } },
      ]);
    } finally {
      pulumi.runtime.setAllConfig({});
    }
  });

  it("fails before declaring anything when no token can be found", () => {
    const saved = process.env["CLOUDFLARE_API_TOKEN"];
    delete process.env["CLOUDFLARE_API_TOKEN"];
    try {
      assert.throws(
        () => new Certificate("le-none", { tls: ACME, hostname: HOST, domains: DOMAINS }),
        (error: Error) =>
          pulumi.RunError.isInstance(error) && /cloudflare:apiToken/.test(error.message),
      );
      assert.equal(declared.filter((d) => d.name.startsWith("le-none")).length, 0);
    } finally {
      if (saved !== undefined) process.env["CLOUDFLARE_API_TOKEN"] = saved;
    }
  });
});
