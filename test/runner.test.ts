/**
 * The local runner with real child processes: start, readiness, the status file, restart after a
 * crash, clean stop; and the `mailstack` command itself as a person runs it.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { readStatus } from "../cli/runner/status-file.ts";
import { startRunner, type Runner } from "../cli/runner/start.ts";
import type { ServerPlan } from "../cli/runner/servers.ts";
import { openFileDirectory } from "../servers/shared/directory/file-directory.ts";
import { verifyPassword } from "../servers/shared/directory/passwords.ts";
import { parseStackConfig } from "../stacks/load.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "cli/main.ts");

const probePlan = (name: string): ServerPlan => ({
  name,
  entry: join(ROOT, "test/fixtures/probe-server/main.ts"),
  runtimeConfig: (ctx) => ({ name, host: ctx.config.local.listen, port: 0 }),
});

function greet(host: string, port: number, send?: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host, port });
    socket.setEncoding("utf8");
    socket.once("data", (data: string) => {
      if (send) socket.write(send);
      socket.end();
      resolvePromise(data.trim());
    });
    socket.once("error", reject);
  });
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-runner-"));
});
after(() => rm(dir, { recursive: true, force: true }));

const config = (dataDir: string) =>
  parseStackConfig(
    {
      domains: [{ name: "example.test" }],
      hostname: "mail.example.test",
      users: [{ address: "demo@example.test", name: "Demo" }],
      local: { listen: "127.0.0.1", dataDir },
    },
    "test",
  );

describe("local runner", () => {
  let runner: Runner;

  it("starts each server as a process and writes the status file once all listen", async () => {
    runner = await startRunner({
      config: config("data"),
      source: "test",
      baseDir: dir,
      servers: [probePlan("one"), probePlan("two")],
    });
    const status = await readStatus(runner.dataDir);
    assert.ok(status);
    assert.equal(status.runner.pid, process.pid);
    assert.deepEqual(
      status.servers.map((s) => [s.name, s.state]),
      [
        ["one", "running"],
        ["two", "running"],
      ],
    );
    for (const server of status.servers) {
      const endpoint = server.endpoints[0];
      assert.ok(endpoint);
      assert.equal(await greet(endpoint.host, endpoint.port), `OK ${server.name}`);
    }
    assert.equal(status.caFile, join(dir, "data/ca/ca.pem"));
    assert.equal((await stat(join(dir, "data"))).mode & 0o777, 0o700);
  });

  it("gives users without a hash a password that the directory accepts", async () => {
    const [generated] = runner.generatedPasswords;
    assert.equal(generated?.address, "demo@example.test");
    assert.ok(generated.password && generated.password.length >= 20);
    const directory = await openFileDirectory({
      path: join(runner.dataDir, "directory.json"),
      domains: ["example.test"],
      watch: false,
    });
    const result = await directory.authenticate("demo@example.test", generated.password, {
      remoteAddress: "127.0.0.1",
    });
    assert.equal(result.ok, true);
    await directory.close();
    const kept = await readFile(join(runner.dataDir, "generated-passwords.json"), "utf8");
    assert.ok(!kept.includes(generated.password), "the clear password must not be kept");
  });

  it("restarts a server that dies and updates the status file", async () => {
    const before = runner.status().servers.find((s) => s.name === "one");
    assert.ok(before?.endpoints[0]);
    await greet(before.endpoints[0].host, before.endpoints[0].port, "CRASH\r\n");
    let after = runner.status().servers.find((s) => s.name === "one");
    for (let i = 0; i < 1200 && (after?.pid === before.pid || after?.state !== "running"); i++) {
      await sleep(50);
      after = runner.status().servers.find((s) => s.name === "one");
    }
    assert.equal(after?.state, "running");
    assert.notEqual(after.pid, before.pid);
    assert.equal(after.restarts, 1);
    const endpoint = after.endpoints[0];
    assert.ok(endpoint);
    assert.equal(await greet(endpoint.host, endpoint.port), "OK one");
  });

  it("stops every server and removes the status file", async () => {
    const pids = runner.status().servers.map((s) => s.pid);
    await runner.stop();
    for (const pid of pids) {
      assert.ok(pid);
      assert.throws(() => process.kill(pid, 0), /ESRCH/);
    }
    assert.equal(await readStatus(runner.dataDir), undefined);
  });

  it("keeps the CA and the generated password across restarts", async () => {
    const first = await readFile(join(dir, "data/ca/ca.pem"), "utf8");
    const again = await startRunner({
      config: config("data"),
      source: "test",
      baseDir: dir,
      servers: [],
    });
    try {
      assert.equal(await readFile(again.caFile, "utf8"), first);
      assert.deepEqual(again.generatedPasswords, [
        { address: "demo@example.test", password: undefined },
      ]);
    } finally {
      await again.stop();
    }
  });

  it("fails to start, and leaves nothing running, when a server cannot start", async () => {
    const broken: ServerPlan = { ...probePlan("broken"), runtimeConfig: () => ({ name: 42 }) };
    await assert.rejects(
      startRunner({
        config: config("data2"),
        source: "test",
        baseDir: dir,
        servers: [probePlan("ok"), broken],
      }),
      /broken exited before it was ready \(code 78\)/,
    );
  });
});

describe("the mailstack command", () => {
  it("start runs a config file, status reports it, SIGTERM stops it cleanly", async () => {
    const file = join(dir, "Pulumi.side.yaml");
    await writeFile(
      file,
      [
        "config:",
        "  mailstack:hostname: mail.side.test",
        "  mailstack:domains:",
        "    - name: side.test",
        "  mailstack:users:",
        "    - { address: ann@side.test, name: Ann }",
        "  mailstack:local:",
        "    listen: 127.0.0.2",
        "    dataDir: side-data",
        "",
      ].join("\n"),
    );
    const child = spawn(TSX, [CLI, "start", "--config", file], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    // Up to 150 s: nine servers loading TypeScript on two busy cores can take over 30.
    for (let i = 0; i < 3000 && !out.includes("Stop with Ctrl-C"); i++) await sleep(50);
    assert.match(out, /mailstack is running/);
    assert.match(out, /ann@side\.test {2}password \S{24} {2}\(shown this once/);
    assert.match(out, new RegExp(`Trust this CA +${join(dir, "side-data/ca/ca.pem")}`));

    const { stdout } = await run(TSX, [CLI, "status", "--config", file, "--json"]);
    const report = JSON.parse(stdout) as { running: boolean; runner: { pid: number } };
    assert.equal(report.running, true);
    // tsx runs the command in a node process of its own, so the runner's pid is not child.pid.
    assert.ok(report.runner.pid > 0 && report.runner.pid !== process.pid);
    const human = await run(TSX, [CLI, "status", "--data-dir", join(dir, "side-data")]);
    assert.match(human.stdout, /mailstack is running: runner pid \d+/);

    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 0);
    assert.match(out, /\[runner\] stopped/);
    const stopped = await run(TSX, [CLI, "status", "--config", file, "--json"]).catch(
      (e: { stdout: string; code: number }) => e,
    );
    assert.equal((JSON.parse(stopped.stdout) as { running: boolean }).running, false);
  });

  it("refuses a bad config with the file, the key and what was expected", async () => {
    const file = join(dir, "Pulumi.bad.yaml");
    await writeFile(
      file,
      "config:\n  mailstack:hostname: mail.x.test\n  mailstack:domains:\n    - name: x.test\n  mailstack:local:\n    ports: { imap: -1 }\n",
    );
    const result = await run(TSX, [CLI, "start", "--config", file]).catch(
      (e: { stderr: string; code: number }) => e,
    );
    assert.equal((result as { code: number }).code, 78);
    assert.match(result.stderr, new RegExp(`${file}: mailstack:local\\.ports\\.imap: .*got -1`));
  });

  it("hash-password reads stdin and prints a hash the directory verifies", async () => {
    for (const args of [[], ["--bcrypt"], ["--ldap"]]) {
      const child = spawn(TSX, [CLI, "hash-password", ...args], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      child.stdin.end("s3cret pass\n");
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
      const [code] = (await once(child, "exit")) as [number];
      assert.equal(code, 0);
      const hash = out.trim();
      assert.match(
        hash,
        args[0] === "--bcrypt"
          ? /^\$2b\$12\$/
          : args[0] === "--ldap"
            ? /^\{ARGON2\}\$argon2id\$/
            : /^\$argon2id\$/,
      );
      assert.equal(await verifyPassword(hash, "s3cret pass"), true);
      assert.equal(await verifyPassword(hash, "s3cret pas"), false);
    }
  });

  it("rejects an unknown command with the usage and exit code 64", async () => {
    const result = await run(TSX, [CLI, "frobnicate"]).catch(
      (e: { stderr: string; code: number }) => e,
    );
    assert.equal((result as { code: number }).code, 64);
    assert.match(result.stderr, /unknown command "frobnicate"[\s\S]*Usage: mailstack/);
  });
});
