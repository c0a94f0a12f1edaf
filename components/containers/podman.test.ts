import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { parseStackConfig } from "../../stacks/load.ts";
import { containerSpecs } from "./container-specs.ts";
import { healthCommand, podmanCreateArgs } from "./podman.ts";

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
      "p-queue:/var/spool/mailstack:U",
      "p-lmtp:/run/mailstack:U",
    ]);
    assert.deepEqual(values("--cpus"), ["0.5"]);
    assert.deepEqual(values("--user"), ["10001:10001"]);
    assert.ok(args.includes("--init"));
    assert.deepEqual(args.slice(-3), ["mailstack-server:latest", "node", "servers/mta/main.js"]);
  });
});
