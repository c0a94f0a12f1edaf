/**
 * Test support for the TLS tests: temporary directories, real loopback TLS servers and clients,
 * and the real openssl binary.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { connect, type ConnectionOptions, type Server } from "node:tls";

/** A fresh directory under the OS temp dir, removed when the test ends. */
export async function tempDir(t: TestContext, prefix = "mailstack-tls-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Listens on an ephemeral loopback port; when the test ends, closes the server and destroys
 * connections still open (close alone waits for them).
 */
export async function listen(t: TestContext, server: Server): Promise<number> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  );
  return (server.address() as AddressInfo).port;
}

export interface Handshake {
  readonly fingerprint256: string;
  readonly protocol: string | null;
}

/** Completes a TLS handshake with 127.0.0.1:port and reports the certificate the server sent. */
export function handshake(port: number, options: ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ...options }, () => {
      const result = {
        fingerprint256: socket.getPeerCertificate().fingerprint256,
        protocol: socket.getProtocol(),
      };
      socket.end();
      resolve(result);
    });
    socket.once("error", (error: Error) => {
      socket.destroy();
      reject(error);
    });
  });
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function openssl(args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(new Error("openssl could not run", { cause: error }));
        return;
      }
      resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
    });
  });
}

/** Resolves with the first value an event source delivers, or rejects after `ms`. */
export function nextEvent<T>(
  subscribe: (listener: (value: T) => void) => () => void,
  ms: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no ${what} within ${ms} ms`));
    }, ms);
    const unsubscribe = subscribe((value) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    });
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
