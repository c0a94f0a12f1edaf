/**
 * The real stack for the webmail's tests: the local runner starts the MDA, the MTA, IMAP and the
 * webmail as processes on free loopback ports, with two users whose passwords it generates.
 * Mail travels between them over real sockets; the webmail reaches IMAP and submission as any
 * mail client would.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { IncomingHttpHeaders } from "node:http";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodemailer from "nodemailer";
import { SERVERS } from "../../../cli/runner/servers.ts";
import { startRunner, type Runner } from "../../../cli/runner/start.ts";
import { parseStackConfig } from "../../../stacks/load.ts";
import { freeRunnerPorts } from "../../../test/helpers/ports.ts";

export const DOMAIN = "example.test";
export const HOSTNAME = "mail.example.test";
export const USERS = ["alice@example.test", "bob@example.test"] as const;

export interface TestStack {
  readonly runner: Runner;
  readonly ports: Readonly<Record<string, number>>;
  /** https://127.0.0.1:<port> */
  readonly origin: string;
  /** The local CA's certificate (PEM). */
  readonly ca: string;
  readonly caPath: string;
  readonly passwords: Readonly<Record<string, string>>;
  /** The stack's certificate and key (a test's own HTTPS listener can use them). */
  readonly tls: { readonly certPath: string; readonly keyPath: string };
  /** Sends over SMTP port 25 to the MTA, as a remote server would (accepted before it is stored). */
  sendToMx(to: string, raw: string | Buffer, from?: string): Promise<void>;
  /**
   * Delivers a raw message to local recipients over LMTP to the MDA, which answers only once the
   * message is stored: when this resolves, IMAP sees it. (Mail through the MTA is accepted
   * before it is stored; the tests that send go that way and wait for the event instead.)
   */
  deliver(to: string | readonly string[], raw: string | Buffer, from?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestStack(
  serverNames: readonly string[] = ["mda", "mta", "imap", "webmail"],
): Promise<TestStack> {
  const dir = await mkdtemp(join(tmpdir(), "mailstack-webmail-"));
  const ports: Record<string, number> = await freeRunnerPorts();
  let runner: Runner;
  try {
    runner = await startRunner({
      config: parseStackConfig(
        {
          domains: [{ name: DOMAIN }],
          hostname: HOSTNAME,
          users: USERS.map((address) => ({ address, name: address.split("@")[0] ?? address })),
          local: { listen: "127.0.0.1", dataDir: "data", ports },
        },
        "test",
      ),
      source: "test",
      baseDir: dir,
      servers: SERVERS.filter((s) => serverNames.includes(s.name)),
      onCrash: (server, detail) => process.stderr.write(`[${server}] ${detail}\n`),
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const passwords = Object.fromEntries(
    runner.generatedPasswords.map((g) => [g.address, g.password ?? ""]),
  );
  const lmtp = nodemailer.createTransport({
    host: "127.0.0.1",
    port: ports.lmtp,
    lmtp: true,
    ignoreTLS: true,
    name: "sender.remote.test",
  });
  return {
    runner,
    ports,
    origin: `https://127.0.0.1:${ports.webmail}`,
    ca: await readFile(runner.caFile, "utf8"),
    caPath: runner.caFile,
    passwords,
    tls: (
      JSON.parse(await readFile(join(runner.dataDir, "run", "imap.json"), "utf8")) as {
        tls: { certPath: string; keyPath: string };
      }
    ).tls,
    async deliver(to, raw, from = "someone@remote.test") {
      await lmtp.sendMail({
        envelope: { from, to: typeof to === "string" ? [to] : [...to] },
        raw,
      });
    },
    async sendToMx(to, raw, from = "someone@remote.test") {
      const mx = nodemailer.createTransport({
        host: "127.0.0.1",
        port: ports.smtp,
        ignoreTLS: true,
        name: "sender.remote.test",
      });
      try {
        await mx.sendMail({ envelope: { from, to: [to] }, raw });
      } finally {
        mx.close();
      }
    },
    async stop() {
      lmtp.close();
      await runner.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface HttpReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body as JSON (throws if it is not). */
  json<T = unknown>(): T;
}

/** One HTTPS request to the webmail, trusting the local CA. */
export function fetchFrom(
  stack: Pick<TestStack, "origin" | "ca">,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${stack.origin}${path}`,
      {
        method: options.method ?? "GET",
        headers: options.headers,
        ca: stack.ca,
        // A test may send another Host (mta-sts.<domain>); the certificate is checked for ours.
        servername: "localhost",
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: <T>() => JSON.parse(body.toString("utf8")) as T,
          });
        });
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}
