/**
 * The process as the local runner starts it: main.ts forked with MAILSTACK_CONFIG, readiness over
 * IPC, serving with two workers on one port, stopping on SIGTERM; and a bad config refused with
 * the path of the bad key before anything starts (exit 78, EX_CONFIG).
 */
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ReadyMessage } from "../shared/lifecycle.ts";
import { ConfigError, parseConfig } from "../shared/config.ts";
import { spamConfigSchema } from "./config.ts";
import { GTUBE } from "./analyzers/gtube.ts";
import { message } from "./testing/harness.ts";

const MAIN = join(import.meta.dirname, "main.ts");
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-spam-main-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function launch(config: unknown): Promise<{ child: ChildProcess; output: () => string }> {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, JSON.stringify(config));
  const child = fork(MAIN, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, MAILSTACK_CONFIG: path, LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  return { child, output: () => output };
}

describe("main.ts", () => {
  it("starts two workers on one port, answers, and stops on SIGTERM", async () => {
    const { child, output } = await launch({
      hostname: "mx.example.com",
      listen: { host: "127.0.0.1", port: 0 },
      dataDir: join(dir, "data"),
      workers: 2,
      dns: { servers: ["127.0.0.1:9"], timeoutMs: 200, tries: 1 },
    });
    const [ready] = (await Promise.race([
      once(child, "message"),
      once(child, "exit").then(() => assert.fail(`exited before ready:\n${output()}`)),
    ])) as [ReadyMessage];
    assert.equal(ready.type, "ready");
    const port = ready.endpoints[0]?.port ?? 0;
    assert.ok(port > 0);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.deepEqual(await health.json(), { status: "ok" });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        fetch(`http://127.0.0.1:${port}/check`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            raw: Buffer.from(message({ body: `${GTUBE}\r\n` })).toString("base64"),
            mailFrom: "a@example.org",
            rcptTo: ["b@example.com"],
            clientAddress: "192.0.2.1",
            helo: "[192.0.2.1]",
          }),
        }).then((r) => r.json() as Promise<{ action: string }>),
      ),
    );
    assert.deepEqual(
      answers.map((a) => a.action),
      Array<string>(6).fill("reject"),
    );
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = (await exited) as [number];
    assert.equal(code, 0, output());
  });

  it("refuses a bad config with the key's path, exit 78", async () => {
    const { child, output } = await launch({
      hostname: "mx.example.com",
      listen: { host: "localhost", port: 11333 },
      dataDir: join(dir, "data"),
      scores: { BAYES_SPAM_99: 5, NO_SUCH_SYMBOL: 1 },
    });
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 78);
    assert.match(output(), /listen\.host: expected an IP address/);
    assert.match(output(), /scores\.NO_SUCH_SYMBOL: unknown symbol/);
  });
});

describe("config", () => {
  const base = {
    hostname: "mx.example.com",
    listen: { host: "127.0.0.1", port: 0 },
    dataDir: "/tmp/x",
  };
  const bad: [string, Record<string, unknown>, RegExp][] = [
    [
      "reject not above junk",
      { thresholds: { junk: 8, reject: 8 } },
      /thresholds\.reject: reject must be above junk/,
    ],
    [
      "a bad trusted network",
      { trustedNetworks: ["10.0.0.0/33"] },
      /trustedNetworks\[0\]: expected an address or CIDR block/,
    ],
    ["a bad blocklist zone", { dnsbl: ["not a zone"] }, /dnsbl\[0\]: expected a domain name/],
    ["an unknown key", { greylist: { enabled: true, delay: 5 } }, /greylist: unknown key "delay"/],
  ];
  for (const [name, extra, expected] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => parseConfig(spamConfigSchema, { ...base, ...extra }, { source: "spam.json" }),
        (error: unknown) => error instanceof ConfigError && expected.test(error.message),
      );
    });
  }

  it("defaults: nothing DNS-based beyond sender authentication, no greylisting, no clamd", () => {
    const config = parseConfig(spamConfigSchema, base, { source: "spam.json" });
    assert.deepEqual(config.dnsbl, []);
    assert.deepEqual(config.domainBlocklists, []);
    assert.equal(config.greylist.enabled, false);
    assert.equal(config.clamd, undefined);
    assert.deepEqual(config.thresholds, { junk: 6, reject: 15 });
    assert.ok(Object.isFrozen(config));
  });
});
