/** The MTA's runtime config: defaults, and bad values named by their key. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseConfig } from "../shared/config.ts";
import { mtaConfigSchema } from "./config.ts";

const minimal = {
  hostname: "mail.example.test",
  domains: ["Example.Test"],
  listeners: { smtp: { host: "127.0.0.1", port: 25 } },
  tls: { certPath: "/c.pem", keyPath: "/k.pem" },
  directory: { backend: "file", path: "/d.json" },
  lmtp: { kind: "unix", path: "/run/lmtp.sock" },
  queue: { spoolDir: "/q", hostname: "mail.example.test" },
};

describe("MTA config", () => {
  it("fills in the limits and normalizes domains", () => {
    const config = parseConfig(mtaConfigSchema, minimal, { source: "test" });
    assert.deepEqual(config.domains, ["example.test"]);
    assert.equal(config.limits.maxMessageBytes, 50 * 1024 * 1024);
    assert.equal(config.limits.maxRecipients, 100);
    assert.deepEqual(config.dkim, {});
    assert.equal(config.spam, undefined);
    assert.ok(Object.isFrozen(config.limits));
  });

  it("names each bad key", () => {
    const problems = (input: unknown) => {
      try {
        parseConfig(mtaConfigSchema, input, { source: "mta.json" });
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems.join("\n");
      }
      assert.fail("accepted");
    };
    const spam = problems({ ...minimal, spam: { url: "ftp://spam", whenDown: "ignore" } });
    assert.match(spam, /^spam\.url: /m);
    assert.match(spam, /^spam\.whenDown: .*"accept"\|"tempfail"/m);
    const text = problems({
      ...minimal,
      listeners: {},
      dkim: {
        "elsewhere.test": [{ selector: "s1", algorithm: "rsa2048", keyPath: "/k" }],
        "example.test": [
          { selector: "a", algorithm: "ed25519", keyPath: "/a" },
          { selector: "b", algorithm: "ed25519", keyPath: "/b" },
        ],
      },
    });
    assert.match(text, /^listeners: expected at least one of smtp, submission, submissions/m);
    assert.match(text, /^dkim\.elsewhere\.test: elsewhere\.test is not one of the domains/m);
    assert.match(text, /^dkim\.example\.test: more than one ed25519 key/m);
  });
});
