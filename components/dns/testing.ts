/**
 * Fixtures for the DNS tests: stack configs and DKIM public keys. Test-only; nothing in the
 * stack imports it.
 */
import { generateKeyPairSync } from "node:crypto";
import { fileURLToPath } from "node:url";
import { loadStackFile, parseStackConfig } from "../../stacks/load.ts";
import type { StackConfig } from "../../stacks/schema.ts";
import { placeholderPublicKey } from "./dkim-record.ts";
import type { DkimPublicKey } from "./types.ts";

export const PROD_STACK = fileURLToPath(new URL("../../stacks/Pulumi.prod.yaml", import.meta.url));
export const DEV_STACK = fileURLToPath(new URL("../../stacks/Pulumi.dev.yaml", import.meta.url));

export function loadProd(): Promise<StackConfig> {
  return loadStackFile(PROD_STACK);
}

export function loadDev(): Promise<StackConfig> {
  return loadStackFile(DEV_STACK);
}

/** A small config from the `mailstack:` keys (without prefix); one domain unless given. */
export function inlineConfig(keys: Record<string, unknown> = {}): StackConfig {
  return parseStackConfig(
    { hostname: "mail.example.com", domains: [{ name: "example.com" }], ...keys },
    "inline test config",
  );
}

/** A public key per published selector of `config`, made by `make`. */
export function keysFor(
  config: StackConfig,
  make: (algorithm: DkimPublicKey["algorithm"], domain: string, selector: string) => string = (
    algorithm,
  ) => placeholderPublicKey(algorithm),
): DkimPublicKey[] {
  return config.domains.flatMap((d) =>
    d.dkim.map((s) => ({
      domain: d.name,
      selector: s.selector,
      algorithm: s.algorithm,
      publicKey: make(s.algorithm, d.name, s.selector),
    })),
  );
}

/** A real public key as `p=` carries it: RSA SPKI (RFC 6376 §3.6.1) or raw Ed25519 (RFC 8463). */
export function realPublicKey(algorithm: DkimPublicKey["algorithm"]): string {
  if (algorithm === "ed25519") {
    const { publicKey } = generateKeyPairSync("ed25519");
    // The SPKI of an Ed25519 key ends with the 32 raw key octets (RFC 8410 §4).
    return publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("base64");
  }
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return publicKey.export({ format: "der", type: "spki" }).toString("base64");
}
