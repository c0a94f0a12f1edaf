/**
 * Pulumi mocks for the TLS component's tests: every declared resource is recorded, the providers'
 * outputs are plausible (real keys from node:crypto, recognisable fake certificates), and any
 * provider function call fails the test, since the component should make none.
 */
import { generateKeyPairSync } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

export interface Declared {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  /** The provider reference (`urn::id`), empty for the default provider. */
  readonly provider: string;
}

/** Pulumi's marker for a secret value on the wire; mock inputs keep it. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE
  );
}

export function fakeCertificatePem(label: string): string {
  const body = Buffer.from(`fake certificate ${label}`).toString("base64");
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

function realKeyPem(inputs: Record<string, unknown>): string {
  const rsa = inputs["algorithm"] === "RSA" || inputs["keyType"] === "2048";
  const { privateKey } = rsa
    ? generateKeyPairSync("rsa", { modulusLength: 2048 })
    : generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return privateKey.export({ type: rsa ? "pkcs1" : "sec1", format: "pem" }).toString();
}

const NOT_AFTER = "2027-01-01T00:00:00Z";

/** The outputs a real provider would add to a resource's inputs. */
function outputsFor(type: string, name: string, inputs: Record<string, unknown>) {
  switch (type) {
    case "tls:index/privateKey:PrivateKey":
      return { privateKeyPem: realKeyPem(inputs), publicKeyPem: `public ${name}` };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return {
        certPem: fakeCertificatePem(name),
        validityEndTime: NOT_AFTER,
        readyForRenewal: false,
      };
    case "tls:index/certRequest:CertRequest":
      return { certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${name}\n` };
    case "acme:index/registration:Registration":
      return { registrationUrl: `https://acme.test/acct/${name}` };
    case "acme:index/certificate:Certificate":
      return {
        certificatePem: fakeCertificatePem(name),
        issuerPem: fakeCertificatePem(`${name} issuer`),
        privateKeyPem: realKeyPem(inputs),
        certificateNotAfter: NOT_AFTER,
        certificateUrl: `https://acme.test/cert/${name}`,
      };
    default:
      return {};
  }
}

/** Installs the mocks (once per test process) and returns the list they record into. */
export async function installMocks(): Promise<Declared[]> {
  const declared: Declared[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = args.inputs as Record<string, unknown>;
        declared.push({
          type: args.type,
          name: args.name,
          inputs,
          provider: args.provider ?? "",
        });
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
    "test",
    false,
  );
  return declared;
}

interface RegisteredResource {
  readonly urn: string;
  readonly state: unknown;
}

/**
 * The mock monitor's view of what was registered: URNs (which carry the parent's type) and, for
 * components, the outputs registered last. Reaches into the SDK's mock monitor, which keeps them.
 */
export function registeredResources(): RegisteredResource[] {
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    resources?: Map<string, RegisteredResource>;
  };
  if (!(monitor.resources instanceof Map)) {
    throw new Error("the Pulumi SDK's mock monitor no longer exposes its resources");
  }
  return [...monitor.resources.values()];
}

/** `urn:pulumi:stack::project::parent$type::name` -> { parentType, type, name }. */
export function parseUrn(urn: string): { parentType?: string; type: string; name: string } {
  const [, , qualifiedType = "", ...rest] = urn.split("::");
  const types = qualifiedType.split("$");
  const type = types.at(-1) ?? "";
  const parentType = types.length > 1 ? types.at(-2) : undefined;
  return { ...(parentType === undefined ? {} : { parentType }), type, name: rest.join("::") };
}

/** Resolves an output in a test (mocks run with preview=false, so every output resolves). */
export function resolve<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((done) => output.apply((value) => done(value)));
}

/** Whether an output is secret. */
export function isSecret(output: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(output);
}
