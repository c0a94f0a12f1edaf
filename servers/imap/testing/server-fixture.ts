/** A running IMAP server on loopback for integration tests: STARTTLS, implicit TLS, plain. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureLocalCa, issueServerCertificate } from "../../shared/tls/local-ca.ts";
import type { RunningServer } from "../../shared/lifecycle.ts";
import { imapConfigSchema, type ImapConfig } from "../config.ts";
import { startImap } from "../server.ts";
import type { TestEnv } from "./harness.ts";

export interface RunningImap {
  readonly server: RunningServer;
  readonly config: ImapConfig;
  /** The CA certificate (PEM) that signed the server's certificate. */
  readonly ca: string;
  readonly caPath: string;
  readonly starttlsPort: number;
  readonly implicitPort: number;
  readonly plainPort: number;
}

export async function startTestServer(
  env: TestEnv,
  overrides: Partial<Record<keyof ImapConfig, unknown>> = {},
): Promise<RunningImap> {
  const ca = await ensureLocalCa(join(env.dir, "ca"));
  const cert = await issueServerCertificate(ca, {
    dir: join(env.dir, "ca"),
    name: "imap",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  });
  const config = imapConfigSchema.parse({
    hostname: "imap.example.test",
    domains: ["example.test"],
    listen: [
      { host: "127.0.0.1", port: 0, tls: "starttls" },
      { host: "127.0.0.1", port: 0, tls: "implicit" },
      { host: "127.0.0.1", port: 0, tls: "none" },
    ],
    tls: { certPath: cert.certPath, keyPath: cert.keyPath },
    dataDir: env.dataDir,
    directory: { backend: "file", path: env.directoryPath },
    ...overrides,
  });
  const server = await startImap(config, env.services);
  const port = (i: number) => server.endpoints[i]?.port ?? 0;
  return {
    server,
    config,
    ca: await readFile(ca.caCertPath, "utf8"),
    caPath: ca.caCertPath,
    starttlsPort: port(0),
    implicitPort: port(1),
    plainPort: port(2),
  };
}
