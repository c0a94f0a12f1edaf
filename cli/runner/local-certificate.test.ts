/**
 * The local runner's certificate carries every name a client reaches the stack by, including
 * those fetched over HTTPS from the webmail: mta-sts.<domain> (RFC 8461 §3.3), autoconfig.<domain>
 * and autodiscover.<domain>. A runner started with no servers issues it as `npm start` does.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { parseStackConfig } from "../../stacks/load.ts";
import { localCertificateNames, startRunner } from "./start.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-localcert-"));
});
after(() => rm(dir, { recursive: true, force: true }));

const config = parseStackConfig(
  {
    domains: [{ name: "example.test" }, { name: "Other.Test" }],
    hostname: "mail.example.test",
    users: [{ address: "demo@example.test", name: "Demo" }],
    local: { listen: "127.0.0.1", dataDir: "data" },
  },
  "test",
);

it("names the host, each domain's mta-sts, autoconfig and autodiscover, localhost", async () => {
  const runner = await startRunner({ config, source: "test", baseDir: dir, servers: [] });
  await runner.stop();
  const pem = await readFile(join(runner.dataDir, "tls", "server.pem"), "utf8");
  const names = (new X509Certificate(pem).subjectAltName ?? "")
    .split(", ")
    .filter((n) => n.startsWith("DNS:"))
    .map((n) => n.slice(4))
    .sort();
  assert.deepEqual(names, [
    "autoconfig.example.test",
    "autoconfig.other.test",
    "autodiscover.example.test",
    "autodiscover.other.test",
    "example.test",
    "localhost",
    "mail.example.test",
    "mta-sts.example.test",
    "mta-sts.other.test",
    "other.test",
  ]);
  assert.deepEqual(localCertificateNames(config), [
    "mail.example.test",
    "mta-sts.example.test",
    "autoconfig.example.test",
    "autodiscover.example.test",
    "mta-sts.other.test",
    "autoconfig.other.test",
    "autodiscover.other.test",
    "localhost",
    "example.test",
    "other.test",
  ]);
});
