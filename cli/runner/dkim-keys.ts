/**
 * DKIM keys for local runs. In a deployment the stack generates them (components/dkim); locally
 * the runner does: once, in `<dataDir>/dkim/<domain>/<selector>.key` (mode 0600), for every
 * published selector of the stack config (pending, active, retiring), RSA 2048 or Ed25519 as the
 * selector says. A domain with no selectors gets one active RSA selector `local`, so mail sent
 * from a local run is signed too.
 *
 * The MTA gets the active ones (`activeDkimKeys`, computed from the config alone, so the runner
 * can write the MTA's config synchronously once `ensureDkimKeys` has run); the TXT values are
 * returned for whoever prints the local zone.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { dkimPublicKeyValue, dkimTxtValue } from "../../components/dkim/public-key.ts";
import type { DkimSelector } from "../../stacks/schema/dkim.ts";
import type { StackConfig } from "../../stacks/schema.ts";

/** The selector a domain without any gets in local runs. */
export const LOCAL_SELECTOR: DkimSelector = {
  selector: "local",
  algorithm: "rsa2048",
  state: "active",
  emergency: false,
};

export interface LocalDkimKey {
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: DkimSelector["algorithm"];
  readonly state: DkimSelector["state"];
  readonly keyPath: string;
  /** The public key as the record's p= carries it (base64). */
  readonly publicKey: string;
  /** The TXT record name and value to publish. */
  readonly recordName: string;
  readonly recordValue: string;
}

export function dkimKeyPath(dataDir: string, domain: string, selector: string): string {
  return join(dataDir, "dkim", domain, `${selector}.key`);
}

function selectorsOf(domain: StackConfig["domains"][number]): readonly DkimSelector[] {
  return domain.dkim.length > 0 ? domain.dkim : [LOCAL_SELECTOR];
}

/** The config as a local run signs with it: a domain without selectors gets LOCAL_SELECTOR. */
export function withLocalSelectors(config: StackConfig): StackConfig {
  return {
    ...config,
    domains: config.domains.map((d) => ({ ...d, dkim: [...selectorsOf(d)] })),
  };
}

/** The MTA's `dkim` config: per domain, its active selectors and their key files. */
export function activeDkimKeys(
  config: StackConfig,
  dataDir: string,
): Record<string, { selector: string; algorithm: DkimSelector["algorithm"]; keyPath: string }[]> {
  return Object.fromEntries(
    config.domains.map((domain) => [
      domain.name,
      selectorsOf(domain)
        .filter((s) => s.state === "active")
        .map((s) => ({
          selector: s.selector,
          algorithm: s.algorithm,
          keyPath: dkimKeyPath(dataDir, domain.name, s.selector),
        })),
    ]),
  );
}

/** Creates the missing keys (never replaces one) and returns every published key's record. */
export async function ensureDkimKeys(
  config: StackConfig,
  dataDir: string,
): Promise<LocalDkimKey[]> {
  const keys: LocalDkimKey[] = [];
  for (const domain of config.domains) {
    await mkdir(join(dataDir, "dkim", domain.name), { recursive: true, mode: 0o700 });
    for (const selector of selectorsOf(domain)) {
      const keyPath = dkimKeyPath(dataDir, domain.name, selector.selector);
      const pem = await ensureKey(keyPath, selector.algorithm);
      const publicPem = createPublicKey(createPrivateKey(pem))
        .export({ type: "spki", format: "pem" })
        .toString();
      let publicValue: string;
      try {
        publicValue = dkimPublicKeyValue(publicPem, selector.algorithm);
      } catch (error) {
        throw new Error(
          `${keyPath}: ${(error as Error).message}; selector ${selector.selector} changed its algorithm? Remove the file to generate a new key`,
          { cause: error },
        );
      }
      keys.push({
        domain: domain.name,
        selector: selector.selector,
        algorithm: selector.algorithm,
        state: selector.state,
        keyPath,
        publicKey: publicValue,
        recordName: `${selector.selector}._domainkey.${domain.name}`,
        recordValue: dkimTxtValue(selector.algorithm, publicValue),
      });
    }
  }
  return keys;
}

/** The key at `path`, generated first when there is none. Two runners at once: first one wins. */
async function ensureKey(path: string, algorithm: DkimSelector["algorithm"]): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const pair =
    algorithm === "rsa2048"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ed25519");
  const pem = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  try {
    await writeFile(path, pem, { flag: "wx", mode: 0o600 });
    return pem;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return readFile(path, "utf8");
  }
}
