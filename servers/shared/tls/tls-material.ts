/**
 * A server's certificate and key, loaded once at start and reloaded when the files change, so an
 * ACME renewal (certbot, lego, cert-manager) reaches running servers without a restart.
 *
 * Use with a node:tls server:
 *
 *     const material = loadTlsMaterial({ certPath, keyPath, onError: (e) => log.error(e) });
 *     const server = tls.createServer(material.options(), onConnection);
 *     material.attach(server);
 *
 * `options()` carries an SNICallback that always answers with the current context, which covers
 * clients that send a server name; `attach` swaps the server's default context too, which covers
 * clients that do not (those connecting by IP address). smtp-server has its own call for the
 * latter: `material.on("reload", () => smtp.updateSecureContext(material.options()))`.
 *
 * Policy: a missing or unparsable file, or a key that does not match the certificate, is an error
 * (thrown at load; reported and ignored on reload, keeping the context in use). An expired or
 * not-yet-valid certificate is only a warning: on port 25 most senders do not verify certificates
 * and refusing to start would turn an expired certificate into lost mail, and a renewal that
 * arrives later is picked up by the watcher.
 */
import type { X509Certificate } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { dirname } from "node:path";
import { createSecureContext, type SecureContext, type SecureContextOptions } from "node:tls";
import {
  assertKeyMatches,
  parseCertificate,
  parseCertificateChain,
  parsePrivateKey,
  readTextFileSync,
  validityProblem,
} from "./pem.ts";
import { TlsError } from "./tls-errors.ts";

/** TLS 1.0 and 1.1 are deprecated by RFC 8996; RFC 8314 asks mail clients for 1.2 or later. */
export const MIN_TLS_VERSION = "TLSv1.2";
/** Below this many days left, each load warns: a renewal that should have happened has not. */
export const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface TlsMaterialOptions {
  /** PEM certificate, leaf first, followed by any intermediates (certbot's fullchain.pem). */
  readonly certPath: string;
  /** Unencrypted PEM private key of the leaf. */
  readonly keyPath: string;
  /** Extra CA certificates: trusted for client certificates and used to complete the chain. */
  readonly caPath?: string;
  /** Watch the files' directories and reload on change. Default true. */
  readonly watch?: boolean;
  /**
   * Quiet time after the last file event before reloading, since tools replace files one
   * by one. Default 200 ms.
   */
  readonly debounceMs?: number;
  /**
   * A failed reload is retried once after this long before it is reported, since the key and
   * the certificate are rarely replaced in the same instant. Default 1000 ms.
   */
  readonly retryMs?: number;
  readonly onReload?: (event: TlsReloadEvent) => void;
  /** Reload and watcher failures. Without any error listener they go to process.emitWarning. */
  readonly onError?: (error: TlsError) => void;
  /**
   * Expired, expiring or not-yet-valid certificates, at load and at each reload. Without any
   * warning listener they go to process.emitWarning.
   */
  readonly onWarning?: (warning: TlsError) => void;
  /** The clock, injectable for tests. */
  readonly now?: () => Date;
}

export interface TlsReloadEvent {
  readonly fingerprint256: string;
  readonly previousFingerprint256: string;
  readonly validTo: Date;
}

/** What a secure context is built from; accepted by setSecureContext and updateSecureContext. */
export interface TlsContextOptions {
  readonly key: string;
  readonly cert: string;
  readonly ca?: string;
  readonly minVersion: typeof MIN_TLS_VERSION;
}

export interface TlsServerOptions extends TlsContextOptions {
  readonly SNICallback: SniCallback;
}

export type SniCallback = (
  servername: string,
  callback: (error: Error | null, context?: SecureContext) => void,
) => void;

interface Listeners {
  reload: (event: TlsReloadEvent) => void;
  error: (error: TlsError) => void;
  warning: (warning: TlsError) => void;
}

/** One consistent generation of files and the context built from them. */
interface Loaded {
  readonly key: string;
  readonly cert: string;
  readonly ca: string | undefined;
  readonly leaf: X509Certificate;
  readonly context: SecureContext;
  readonly warnings: readonly TlsError[];
}

/** Loads and checks the files now (throwing a TlsError naming the bad file), then watches them. */
export function loadTlsMaterial(options: TlsMaterialOptions): TlsMaterial {
  return new TlsMaterial(options);
}

export class TlsMaterial {
  readonly #options: TlsMaterialOptions;
  readonly #listeners: { [E in keyof Listeners]: Set<Listeners[E]> } = {
    reload: new Set(),
    error: new Set(),
    warning: new Set(),
  };
  readonly #watchers: FSWatcher[] = [];
  #current: Loaded;
  #timer: NodeJS.Timeout | undefined;
  #lastFailure: string | undefined;
  #closed = false;

  constructor(options: TlsMaterialOptions) {
    this.#options = options;
    if (options.onReload) this.#listeners.reload.add(options.onReload);
    if (options.onError) this.#listeners.error.add(options.onError);
    if (options.onWarning) this.#listeners.warning.add(options.onWarning);
    this.#current = this.#load();
    this.#current.warnings.forEach((warning) => this.#report("warning", warning));
    if (options.watch ?? true) this.#watch();
  }

  /** The context for new connections right now. */
  secureContext(): SecureContext {
    return this.#current.context;
  }

  /** Options for tls.createServer, https.createServer or smtp-server, as of now. */
  options(): TlsServerOptions {
    return { ...this.#contextOptions(), SNICallback: this.sniCallback };
  }

  /** Hands every new SNI connection the latest context; bound, so it can be passed as is. */
  readonly sniCallback: SniCallback = (_servername, callback) => {
    callback(null, this.#current.context);
  };

  get fingerprint256(): string {
    return this.#current.leaf.fingerprint256;
  }

  get validTo(): Date {
    return this.#current.leaf.validToDate;
  }

  /** Warnings about the certificate in use (expired, expiring, not yet valid). */
  get warnings(): readonly TlsError[] {
    return this.#current.warnings;
  }

  /** Keeps a server's default context (used when a client sends no SNI) current. */
  attach(server: { setSecureContext(options: SecureContextOptions): void }): () => void {
    return this.on("reload", () => server.setSecureContext(this.#contextOptions()));
  }

  /** Subscribes; returns the unsubscribe function. */
  on<E extends keyof Listeners>(event: E, listener: Listeners[E]): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  /**
   * Reads the files again now (for SIGHUP, or where file events do not arrive). True when a new
   * certificate or key is in use; failures go to the error listeners and the old context stays.
   */
  reload(): boolean {
    try {
      return this.#reloadOrThrow();
    } catch (error) {
      this.#reportFailure(error);
      return false;
    }
  }

  /** Stops watching. The last context stays usable for connections still being set up. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers.splice(0)) watcher.close();
  }

  #contextOptions(): TlsContextOptions {
    const { key, cert, ca } = this.#current;
    return { key, cert, ...(ca === undefined ? {} : { ca }), minVersion: MIN_TLS_VERSION };
  }

  #load(): Loaded {
    const { certPath, keyPath, caPath } = this.#options;
    const now = this.#options.now?.() ?? new Date();
    const cert = readTextFileSync(certPath);
    const key = readTextFileSync(keyPath);
    const ca = caPath === undefined ? undefined : readTextFileSync(caPath);
    const leaf = parseCertificate(certPath, cert);
    assertKeyMatches(certPath, leaf, keyPath, parsePrivateKey(keyPath, key));
    if (caPath !== undefined && ca !== undefined) parseCertificateChain(caPath, ca);
    let context;
    try {
      context = createSecureContext({ key, cert, ca, minVersion: MIN_TLS_VERSION });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new TlsError("TLS_CONTEXT_FAILED", certPath, detail, { cause: error });
    }
    const warnings: TlsError[] = [];
    const problem = validityProblem(certPath, leaf, now);
    if (problem) warnings.push(problem);
    else if (leaf.validToDate.getTime() - now.getTime() < EXPIRY_WARNING_DAYS * DAY_MS) {
      const detail = `notAfter ${leaf.validToDate.toISOString()}`;
      warnings.push(new TlsError("TLS_CERT_EXPIRING", certPath, detail));
    }
    return { key, cert, ca, leaf, context, warnings };
  }

  #reloadOrThrow(): boolean {
    const previous = this.#current;
    const next = this.#load();
    this.#lastFailure = undefined;
    if (next.cert === previous.cert && next.key === previous.key && next.ca === previous.ca) {
      return false;
    }
    this.#current = next;
    next.warnings.forEach((warning) => this.#report("warning", warning));
    this.#emit("reload", {
      fingerprint256: next.leaf.fingerprint256,
      previousFingerprint256: previous.leaf.fingerprint256,
      validTo: next.leaf.validToDate,
    });
    return true;
  }

  #watch(): void {
    const { certPath, keyPath, caPath } = this.#options;
    const dirs = new Set([certPath, keyPath, caPath].flatMap((p) => (p ? [dirname(p)] : [])));
    for (const dir of dirs) {
      // The directory, not the files: certbot and Kubernetes replace files by renaming symlinks,
      // and a watch on the old inode would never fire again. Every event triggers a read; the
      // contents decide whether anything changed, so unrelated files in the directory are harmless.
      let watcher: FSWatcher;
      try {
        watcher = watch(dir, { persistent: false }, () => this.#schedule());
      } catch (error) {
        // Out of inotify watches, say: serving the loaded files beats refusing to start.
        const detail = error instanceof Error ? error.message : String(error);
        this.#report("error", new TlsError("TLS_WATCH_FAILED", dir, detail, { cause: error }));
        continue;
      }
      watcher.on("error", (error) => {
        watcher.close();
        const failure = new TlsError("TLS_WATCH_FAILED", dir, error.message, { cause: error });
        this.#report("error", failure);
      });
      this.#watchers.push(watcher);
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#attempt(false), this.#options.debounceMs ?? 200);
    this.#timer.unref();
  }

  #attempt(isRetry: boolean): void {
    if (this.#closed) return;
    try {
      this.#reloadOrThrow();
    } catch (error) {
      if (isRetry) {
        this.#reportFailure(error);
        return;
      }
      this.#timer = setTimeout(() => this.#attempt(true), this.#options.retryMs ?? 1000);
      this.#timer.unref();
    }
  }

  #reportFailure(error: unknown): void {
    const tlsError =
      error instanceof TlsError
        ? error
        : new TlsError("TLS_CONTEXT_FAILED", this.#options.certPath, String(error), {
            cause: error,
          });
    // The same broken files are reported once, however many file events they cause.
    if (tlsError.message === this.#lastFailure) return;
    this.#lastFailure = tlsError.message;
    this.#report("error", tlsError);
  }

  #report(event: "error" | "warning", problem: TlsError): void {
    // Nobody listening must not mean nobody hears: stderr at least.
    if (this.#listeners[event].size === 0) process.emitWarning(problem);
    else this.#emit(event, problem);
  }

  #emit<E extends keyof Listeners>(event: E, value: Parameters<Listeners[E]>[0]): void {
    for (const listener of this.#listeners[event]) {
      try {
        (listener as (value: Parameters<Listeners[E]>[0]) => void)(value);
      } catch (error) {
        // A listener's bug must not stop the reload or escape into a timer and end the process.
        process.emitWarning(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}
