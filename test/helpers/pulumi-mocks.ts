/**
 * Pulumi mocks for tests of the whole program: every registration recorded with its parent,
 * providers' outputs plausible (real keys from node:crypto, so DKIM p= can be checked against
 * the private half; recognisable fake certificates), and any provider function call fails,
 * since the program should make none.
 */
import { generateKeyPairSync } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  /** The generated key material, for tls.PrivateKey. */
  readonly key?: { readonly publicKeyPem: string; readonly privateKeyPemPkcs8: string };
}

function generateKey(inputs: Record<string, unknown>) {
  const pair =
    inputs.algorithm === "RSA"
      ? generateKeyPairSync("rsa", { modulusLength: Number(inputs.rsaBits ?? 2048) })
      : inputs.algorithm === "ED25519"
        ? generateKeyPairSync("ed25519")
        : generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const pkcs8 = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return {
    publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
    privateKeyPem: pkcs8,
    privateKeyPemPkcs8: pkcs8,
  };
}

export function fakeCertificatePem(label: string): string {
  const body = Buffer.from(`fake certificate ${label}`).toString("base64");
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

function outputsFor(type: string, name: string, inputs: Record<string, unknown>) {
  switch (type) {
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { certPem: fakeCertificatePem(name), validityEndTime: "2027-01-01T00:00:00Z" };
    case "tls:index/certRequest:CertRequest":
      return { certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${name}\n` };
    case "acme:index/registration:Registration":
      return { registrationUrl: `https://acme.test/acct/${name}` };
    case "acme:index/certificate:Certificate":
      return {
        certificatePem: fakeCertificatePem(name),
        issuerPem: fakeCertificatePem(`${name} issuer`),
        privateKeyPem: generateKey(inputs).privateKeyPem,
        certificateNotAfter: "2027-01-01T00:00:00Z",
      };
    case "pulumi-nodejs:dynamic/mailstack:GeneratedSecret":
      return { value: `generated-secret-${name}` };
    case "docker:index/image:Image":
      return { repoDigest: `${String(inputs.imageName)}@sha256:${"0".repeat(64)}` };
    default:
      return {};
  }
}

/**
 * Installs the mocks and returns the list they record into. Call before the program or any
 * component module is imported (in ESM, use `await import()` after this).
 */
export async function installProgramMocks(stack: string): Promise<Registration[]> {
  const registrations: Registration[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = args.inputs as Record<string, unknown>;
        if (args.type === "tls:index/privateKey:PrivateKey") {
          const key = generateKey(inputs);
          registrations.push({ type: args.type, name: args.name, inputs, key });
          return { id: `${args.name}-id`, state: { ...inputs, ...key } };
        }
        registrations.push({ type: args.type, name: args.name, inputs });
        return {
          id: `${args.name}-id`,
          state: { ...inputs, ...outputsFor(args.type, args.name, inputs) },
        };
      },
      call(args) {
        throw new Error(`unexpected provider function call ${args.token}`);
      },
    },
    "mailstack",
    stack,
    false,
  );
  return registrations;
}

/** The value of an output (mocks run with preview off, so every value resolves). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}
