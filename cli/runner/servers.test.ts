/**
 * What the runner hands the MTA from `mailstack:local.outbound`: the port of remote MX hosts,
 * the address mail leaves from and the retry schedule, as the MTA's own schema reads them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mtaConfigSchema } from "../../servers/mta/config.ts";
import { parseStackConfig } from "../../stacks/load.ts";
import { SERVERS, type RunContext } from "./servers.ts";

function mtaConfig(local: Record<string, unknown>) {
  const config = parseStackConfig(
    { domains: [{ name: "a.test" }], hostname: "mail.a.test", local },
    "test",
  );
  const context: RunContext = {
    config,
    dataDir: "/data",
    tls: { certPath: "/c.pem", keyPath: "/k.pem", caPath: "/ca.pem" },
    directory: { backend: "file", path: "/data/directory.json" },
  };
  const mta = SERVERS.find((s) => s.name === "mta");
  assert.ok(mta);
  return mtaConfigSchema.parse(mta.runtimeConfig(context)).queue;
}

describe("the runner's MTA config", () => {
  it("delivers to port 25 from the system's address, retrying after 5 min up to 4 h, by default", () => {
    const queue = mtaConfig({});
    assert.equal(queue?.outbound.port, 25);
    assert.equal(queue?.outbound.localAddress, undefined);
    assert.deepEqual(queue?.retry, { firstSeconds: 300, factor: 2, maxSeconds: 14_400 });
  });

  it("takes the outbound port, source address and retry schedule from mailstack:local.outbound", () => {
    const queue = mtaConfig({
      listen: "127.0.0.2",
      outbound: { port: 2525, localAddress: "127.0.0.2", retryFirst: "1s", retryMax: 3 },
    });
    assert.equal(queue?.outbound.port, 2525);
    assert.equal(queue?.outbound.localAddress, "127.0.0.2");
    assert.deepEqual(queue?.retry, { firstSeconds: 1, factor: 2, maxSeconds: 3 });
  });

  it("refuses a zero retry interval with the key's path", () => {
    assert.throws(
      () => mtaConfig({ outbound: { retryFirst: 0 } }),
      /mailstack:local\.outbound\.retryFirst/,
    );
  });
});
