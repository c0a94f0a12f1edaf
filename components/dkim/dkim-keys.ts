/**
 * DkimKeys: the DKIM keys of every domain of the stack, generated in the stack itself so the
 * public half reaches the DNS records in the same `pulumi up` (no second run, no pasting keys).
 *
 * Per domain and selector one `tls.PrivateKey`; removing a selector from the config removes its
 * key (it is simply not declared any more). Per domain one RotationGuard, which refuses an unsafe
 * change of the selectors before any key is created or destroyed: the keys depend on it.
 *
 * Outputs:
 * - `publicKeys`: every published selector (pending, active, retiring) with its `p=` value, for
 *   the DNS component (a DkimPublicKey whose publicKey is still an Output);
 * - `signingKeys`: the active selectors only, with their private key as a secret, for the MTA
 *   (part 2) and the local runner. Pending and retiring selectors never sign.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { StackConfig } from "../../stacks/schema.ts";
import type { DkimSelector } from "../../stacks/schema/dkim.ts";
import type { DkimPublicKey } from "../dns/types.ts";
import { dkimPublicKeyValue, type DkimAlgorithm } from "./public-key.ts";
import { RotationGuard } from "./rotation-guard.ts";
import { dkimKeyPath } from "./transitions.ts";

export interface DkimKeysArgs {
  /**
   * The stack's domains (`mailstack:domains`, parsed by stacks/schema.ts). Every selector in a
   * domain's `dkim` list gets a key; a domain with an empty list (the default) gets none.
   */
  readonly domains: StackConfig["domains"];
}

/** A published selector: what the DKIM TXT record needs, with `p=` still an Output. */
export interface PublishedDkimKey extends Omit<DkimPublicKey, "publicKey"> {
  readonly state: DkimSelector["state"];
  /** The `p=` value (dkimPublicKeyValue of the generated key). Not a secret. */
  readonly publicKey: pulumi.Output<string>;
}

/** An active selector: the key the MTA signs with. */
export interface DkimSigningKey {
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
  /** The private key as PKCS#8 PEM ("BEGIN PRIVATE KEY") for both algorithms; a secret. */
  readonly privateKeyPem: pulumi.Output<string>;
}

/** The @pulumi/tls arguments per algorithm; 2048-bit RSA as RFC 8301 §3.2 recommends. */
export const TLS_KEY_ARGS: Readonly<Record<DkimAlgorithm, tls.PrivateKeyArgs>> = {
  rsa2048: { algorithm: "RSA", rsaBits: 2048 },
  ed25519: { algorithm: "ED25519" },
};

/**
 * The names of a DkimKeys' children: `<name>-<domain>-<selector>` per key and
 * `<name>-<domain>-rotation-guard` per domain. Domain and selector are already lower-case DNS
 * names (the schema makes them so), which Pulumi takes as they are; they are kept readable rather
 * than mangled. Pulumi does not notice two children with one name under mocks, and only at run
 * time otherwise, so a clash (possible in theory: `a.b-c` + `d` and `a.b` + `c-d`) is refused here.
 */
export function dkimChildNames(
  name: string,
  domains: StackConfig["domains"],
): { guards: string[]; keys: string[][] } {
  const guards = domains.map((d) => `${name}-${d.name}-rotation-guard`);
  const keys = domains.map((d) => d.dkim.map((s) => `${name}-${d.name}-${s.selector}`));
  const all = [...guards, ...keys.flat()];
  const clash = all.find((n, i) => all.indexOf(n) !== i);
  if (clash !== undefined) {
    throw new Error(`two DKIM resources would be named ${clash}; rename a selector`);
  }
  return { guards, keys };
}

export class DkimKeys extends pulumi.ComponentResource {
  /** Every published selector of every domain, in config order. */
  readonly publicKeys: readonly PublishedDkimKey[];
  /** The active selectors, in config order; their private keys are secrets. */
  readonly signingKeys: readonly DkimSigningKey[];

  constructor(name: string, args: DkimKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:dkim:DkimKeys", name, {}, opts);
    const names = dkimChildNames(name, args.domains);
    const publicKeys: PublishedDkimKey[] = [];
    const signingKeys: DkimSigningKey[] = [];

    args.domains.forEach((domain, i) => {
      const guard = new RotationGuard(
        names.guards[i] ?? "",
        { domain: domain.name, keyPath: dkimKeyPath(i), selectors: domain.dkim },
        { parent: this },
      );
      domain.dkim.forEach((s, j) => {
        const key = new tls.PrivateKey(names.keys[i]?.[j] ?? "", TLS_KEY_ARGS[s.algorithm], {
          parent: this,
          // Nothing is generated or destroyed before the guard has accepted the change.
          dependsOn: [guard],
        });
        const { selector, algorithm, state } = s;
        publicKeys.push({
          domain: domain.name,
          selector,
          algorithm,
          state,
          publicKey: key.publicKeyPem.apply((pem) => dkimPublicKeyValue(pem, algorithm)),
        });
        if (state === "active") {
          signingKeys.push({
            domain: domain.name,
            selector,
            algorithm,
            // Already secret in the provider's schema; said again so it stays so whatever the
            // provider version, since this output is handed on to other components.
            privateKeyPem: pulumi.secret(key.privateKeyPemPkcs8),
          });
        }
      });
    });

    this.publicKeys = publicKeys;
    this.signingKeys = signingKeys;
    this.registerOutputs({ publicKeys, signingKeys });
  }
}
