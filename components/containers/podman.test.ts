import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { parseStackConfig } from "../../stacks/load.ts";
import { containerSpecs } from "./container-specs.ts";
import {
  healthCommand,
  podmanCreateArgs,
  podmanDataCommandArgs,
  podmanVolumeArgs,
} from "./podman.ts";

describe("podman arguments from the specs", () => {
  it("turns a CMD health check into a shell command that runs the same argv", () => {
    const argv = ["printf", "%s|", "it's", 'a "quoted" $HOME'];
    const command = healthCommand(["CMD", ...argv]);
    assert.equal(
      execFileSync("/bin/sh", ["-c", command], { encoding: "utf8" }),
      `it's|a "quoted" $HOME|`,
    );
    assert.equal(healthCommand(["CMD-SHELL", "true"]), "true");
    assert.throws(() => healthCommand(["NONE"]), /not a health check test/);
  });

  it("publishes, mounts and limits what the spec says", () => {
    const config = parseStackConfig(
      {
        hostname: "mail.x.test",
        domains: [{ name: "x.test" }],
        docker: { publishAddress: "127.0.0.1", resources: { mta: { cpus: 0.5 } } },
      },
      "test",
    );
    const stack = containerSpecs(config, { prefix: "p" });
    const mta = stack.containers.find((c) => c.server === "mta");
    assert.ok(mta);
    const args = podmanCreateArgs(stack, mta);
    const values = (flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
    assert.deepEqual(values("--publish"), [
      "127.0.0.1:25:2525",
      "127.0.0.1:587:2587",
      "127.0.0.1:465:2465",
    ]);
    assert.deepEqual(values("--volume"), [
      "p-queue:/var/lib/mailstack/queue:U",
      "p-lmtp:/run/mailstack:U",
      "p-config-mta:/etc/mailstack:U",
    ]);
    assert.ok(args.includes("--read-only"));
    assert.deepEqual(values("--tmpfs"), ["/tmp:rw,noexec,nosuid,nodev,mode=1777,size=64m"]);
    assert.deepEqual(values("--cpus"), ["0.5"]);
    assert.deepEqual(values("--user"), ["10001:10001"]);
    assert.ok(args.includes("--init"));
    assert.deepEqual(args.slice(-3), ["mailstack-server:latest", "node", "servers/mta/main.js"]);
    // The data volumes, then one config volume per container, each created once.
    const created = podmanVolumeArgs(stack).map((a) => a.at(-1));
    assert.equal(new Set(created).size, created.length);
    assert.deepEqual(
      created.filter((name) => name?.startsWith("p-config-")),
      stack.containers.map((c) => `p-config-${c.server}`),
    );
  });

  it("runs backup and restore on the data volumes where the servers have them", () => {
    const config = parseStackConfig(
      { hostname: "mail.x.test", domains: [{ name: "x.test" }] },
      "test",
    );
    const stack = containerSpecs(config, { prefix: "p" });
    const args = podmanDataCommandArgs(stack, "img", "/srv/backups", [
      "backup",
      "--out",
      "/backup/b1",
    ]);
    const values = (flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
    assert.deepEqual(values("--volume").sort(), [
      "/srv/backups:/backup",
      "p-mail:/var/lib/mailstack/mail",
      "p-queue:/var/lib/mailstack/queue",
      "p-spam:/var/lib/mailstack/spam",
    ]);
    assert.deepEqual(values("--user"), ["10001:10001"]);
    assert.deepEqual(args.slice(args.indexOf("img")), [
      "img",
      "node",
      "cli/main.js",
      "backup",
      "--out",
      "/backup/b1",
      "--data-dir",
      "/var/lib/mailstack",
    ]);
  });
});
