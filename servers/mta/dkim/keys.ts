/**
 * The DKIM signing keys: read from their files at start (a bad key stops the start, naming the
 * file), then re-read whenever a file in their folders changes, so a rotation (`mailstack dkim
 * rotate`, a new key from the stack) reaches the running MTA without a restart. A key that fails
 * to load on reload is reported and the previous one stays in use.
 */
import { createPrivateKey, type KeyObject } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { DkimKeyConfig } from "../config.ts";

/** RFC 8301 §3.2: signers must use RSA keys of at least 1024 bits (we generate 2048). */
const MIN_RSA_BITS = 1024;

export interface SigningKey {
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: DkimKeyConfig["algorithm"];
  readonly keyPath: string;
  /** PEM, as mailauth takes it. */
  readonly privateKeyPem: string;
  readonly privateKey: KeyObject;
}

export class DkimKeyError extends Error {
  constructor(
    readonly keyPath: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${keyPath}: ${detail}`, options);
    this.name = "DkimKeyError";
  }
}

export interface DkimKeyringOptions {
  /** Per domain, the active selectors. */
  readonly keys: Readonly<Record<string, readonly DkimKeyConfig[]>>;
  /** Watch the key folders and reload on change. Default true. */
  readonly watch?: boolean;
  /** Quiet time after the last file event before reloading. Default 200 ms. */
  readonly debounceMs?: number;
  readonly onReload?: (changed: readonly SigningKey[]) => void;
  readonly onError?: (error: DkimKeyError) => void;
}

/** Reads one key and checks it is of the algorithm its selector says. */
export function readSigningKey(domain: string, config: DkimKeyConfig): SigningKey {
  let pem: string;
  try {
    pem = readFileSync(config.keyPath, "utf8");
  } catch (error) {
    throw new DkimKeyError(config.keyPath, `cannot read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new DkimKeyError(config.keyPath, "not a PEM private key", { cause: error });
  }
  const type = key.asymmetricKeyType;
  if (config.algorithm === "rsa2048") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (type !== "rsa" || bits < MIN_RSA_BITS) {
      throw new DkimKeyError(
        config.keyPath,
        `selector ${config.selector} is rsa2048, the key is ${type} ${bits || ""}`.trim(),
      );
    }
  } else if (type !== "ed25519") {
    throw new DkimKeyError(
      config.keyPath,
      `selector ${config.selector} is ed25519, the key is ${type}`,
    );
  }
  return {
    domain,
    selector: config.selector,
    algorithm: config.algorithm,
    keyPath: config.keyPath,
    privateKeyPem: pem,
    privateKey: key,
  };
}

export class DkimKeyring {
  readonly #options: DkimKeyringOptions;
  readonly #watchers: FSWatcher[] = [];
  #keys = new Map<string, readonly SigningKey[]>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** Loads every key now (throwing DkimKeyError for the first bad one), then watches them. */
  constructor(options: DkimKeyringOptions) {
    this.#options = options;
    for (const [domain, configs] of Object.entries(options.keys)) {
      this.#keys.set(
        domain,
        configs.map((config) => readSigningKey(domain, config)),
      );
    }
    if (options.watch ?? true) this.#watch();
  }

  /** The keys that sign mail from `domain` now; empty when it has none. */
  keysFor(domain: string): readonly SigningKey[] {
    return this.#keys.get(domain.toLowerCase()) ?? [];
  }

  /** Reads every key file again now; keys that fail keep their previous version. */
  reload(): void {
    const changed: SigningKey[] = [];
    const next = new Map<string, readonly SigningKey[]>();
    for (const [domain, previous] of this.#keys) {
      next.set(
        domain,
        previous.map((old) => {
          try {
            const fresh = readSigningKey(domain, old);
            if (fresh.privateKeyPem === old.privateKeyPem) return old;
            changed.push(fresh);
            return fresh;
          } catch (error) {
            this.#options.onError?.(
              error instanceof DkimKeyError ? error : new DkimKeyError(old.keyPath, String(error)),
            );
            return old;
          }
        }),
      );
    }
    this.#keys = next;
    if (changed.length > 0) this.#options.onReload?.(changed);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers.splice(0)) watcher.close();
  }

  #watch(): void {
    const dirs = new Set(
      Object.values(this.#options.keys).flatMap((configs) =>
        configs.map((c) => dirname(c.keyPath)),
      ),
    );
    for (const dir of dirs) {
      // The folder, not the file: a key replaced by rename is a new inode a file watch misses.
      try {
        const watcher = watch(dir, { persistent: false }, () => this.#schedule());
        watcher.on("error", (error) => {
          watcher.close();
          this.#options.onError?.(new DkimKeyError(dir, `watch failed: ${error.message}`));
        });
        this.#watchers.push(watcher);
      } catch (error) {
        this.#options.onError?.(new DkimKeyError(dir, `cannot watch: ${(error as Error).message}`));
      }
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (!this.#closed) this.reload();
    }, this.#options.debounceMs ?? 200);
    this.#timer.unref();
  }
}
