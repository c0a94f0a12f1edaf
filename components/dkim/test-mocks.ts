/**
 * Pulumi mocks for the DKIM component tests (not a test itself). `tls.PrivateKey` gets a REAL key
 * from node:crypto, so a test can check `p=` against the key and verify a signature with it;
 * the RotationGuard stores its inputs as a provider would; anything else, and any `call`, throws,
 * so a resource or function the component should not use shows up as a failure.
 *
 * In ESM a static import runs before any statement, so call setDkimMocks() before the first
 * DkimKeys is built; buildDkimKeys() imports the component only then.
 */
import { generateKeyPairSync } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../stacks/schema.ts";
import type { DkimKeys } from "./dkim-keys.ts";

export interface MockedKey {
  readonly publicKeyPem: string;
  /** PKCS#1 for RSA, PKCS#8 for Ed25519, as the tls provider returns `privateKeyPem`. */
  readonly privateKeyPem: string;
  readonly privateKeyPemPkcs8: string;
}

export interface DkimMocks {
  /** Every resource registration, in order. */
  readonly registrations: pulumi.runtime.MockResourceArgs[];
  /** The key generated for each tls.PrivateKey, by resource name. */
  readonly keys: Map<string, MockedKey>;
}

export const KEY_TYPE = "tls:index/privateKey:PrivateKey";
export const GUARD_TYPE = "pulumi-nodejs:dynamic/dkim:RotationGuard";
export const COMPONENT_TYPE = "mailstack:dkim:DkimKeys";

export async function setDkimMocks(): Promise<DkimMocks> {
  const mocks: DkimMocks = { registrations: [], keys: new Map() };
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        mocks.registrations.push(args);
        const inputs = args.inputs as Record<string, unknown>;
        switch (args.type) {
          case KEY_TYPE: {
            // One key per name, as Pulumi keeps a key across runs until it is replaced.
            const key = mocks.keys.get(args.name) ?? generate(inputs);
            mocks.keys.set(args.name, key);
            return { id: `${args.name}-id`, state: { ...inputs, ...key } };
          }
          case GUARD_TYPE: {
            const { __provider: _provider, ...state } = inputs;
            return { id: String(inputs.domain), state };
          }
          case COMPONENT_TYPE:
            return { id: undefined, state: {} };
          default:
            throw new Error(`unexpected resource ${args.type} ${args.name}`);
        }
      },
      call(args) {
        throw new Error(`unexpected call ${args.token}`);
      },
    },
    "mailstack",
    "test",
    false,
  );
  return mocks;
}

function generate(inputs: Record<string, unknown>): MockedKey {
  const pair =
    inputs.algorithm === "RSA"
      ? generateKeyPairSync("rsa", { modulusLength: Number(inputs.rsaBits) })
      : inputs.algorithm === "ED25519"
        ? generateKeyPairSync("ed25519")
        : undefined;
  if (pair === undefined) throw new Error(`unexpected key algorithm ${String(inputs.algorithm)}`);
  const pkcs8 = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return {
    publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
    privateKeyPem:
      inputs.algorithm === "RSA"
        ? pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString()
        : pkcs8,
    privateKeyPemPkcs8: pkcs8,
  };
}

/** The value of an Output (mocks run with preview off, so every value is known). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

export interface Child {
  readonly type: string;
  readonly name: string;
  readonly parent: pulumi.Resource | undefined;
}

/** Builds a DkimKeys and waits until it and all its children are registered. */
export async function buildDkimKeys(
  name: string,
  domains: StackConfig["domains"],
): Promise<{ component: DkimKeys; children: Child[] }> {
  const { DkimKeys } = await import("./dkim-keys.ts");
  const children: Child[] = [];
  const resources: pulumi.Resource[] = [];
  const component = new DkimKeys(
    name,
    { domains },
    {
      // Transformations see each child's options, so the test can check its parent.
      transformations: [
        (args) => {
          // Called for the component too (its own options carry the transformation).
          if (args.type !== COMPONENT_TYPE) {
            children.push({ type: args.type, name: args.name, parent: args.opts.parent });
            resources.push(args.resource);
          }
          return undefined;
        },
      ],
    },
  );
  // A resource's urn resolves once its registration (the mocks' newResource) is done.
  await Promise.all([component, ...resources].map((r) => valueOf(r.urn)));
  return { component, children };
}
