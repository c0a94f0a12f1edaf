import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../servers/shared/config.ts";
import { embeddedConfig } from "./embedded.ts";
import { parseStackYaml } from "./load.ts";

const SOURCE = "stacks/Pulumi.test.yaml";
const HASH = "$2b$12$abcdefghijklmnopqrstuu1234567890abcdefghijklmnopqrstu";

function errorOf(yaml: string): string {
  try {
    parseStackYaml(yaml, SOURCE);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail("expected a ConfigError");
}

const base = `config:
  cloudflare:apiToken: ignored-by-us
  mailstack:hostname: mail.example.com
  mailstack:domains:
    - name: example.com
`;

describe("stack config", () => {
  it("reads the mailstack: keys, fills defaults and freezes the result", () => {
    const config = parseStackYaml(
      `${base}  mailstack:users:\n    - { address: Ann@Example.com, name: Ann, quota: 2GiB, passwordHash: "${HASH}" }\n`,
      SOURCE,
    );
    assert.equal(config.hostname, "mail.example.com");
    assert.equal(config.users[0]?.address, "ann@example.com");
    assert.equal(config.users[0]?.quota, 2 * 2 ** 30);
    assert.deepEqual(config.directory, { backend: "file" });
    assert.equal(config.local.ports.imaps, 2993);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.local.ports));
  });

  it("the embedded default parses", () => {
    const config = embeddedConfig();
    assert.equal(config.domains[0]?.name, "example.test");
    assert.deepEqual(
      config.users.map((u) => u.address),
      ["demo@example.test", "friend@example.test"],
    );
  });

  // One clear error per bad file: the file, the key path as written, what was expected.
  const cases: [string, string, RegExp][] = [
    [
      "a misspelt key",
      `${base}  mailstack:usres: []\n`,
      /^stacks\/Pulumi\.test\.yaml: mailstack: unknown key "usres"/,
    ],
    [
      "a bad address",
      `${base}  mailstack:users:\n    - { address: bob, name: Bob }\n`,
      /mailstack:users\[0\]\.address: expected an email address like user@example\.com, got "bob"/,
    ],
    [
      "a port out of range",
      `${base}  mailstack:local:\n    ports: { imaps: 70000 }\n`,
      /mailstack:local\.ports\.imaps: .*70000/,
    ],
    [
      "a wrong type",
      `${base}  mailstack:local:\n    listen: 12\n`,
      /mailstack:local\.listen: .*got 12/,
    ],
    [
      "a plain-text password",
      `${base}  mailstack:users:\n    - { address: a@example.com, name: A, passwordHash: hunter2 }\n`,
      /mailstack:users\[0\]\.passwordHash: expected an argon2id/,
    ],
    [
      "a user at a foreign domain",
      `${base}  mailstack:users:\n    - { address: a@other.org, name: A }\n`,
      /mailstack:users\[0\]\.address: a@other\.org is not at one of this stack's domains/,
    ],
    [
      "an alias to nobody",
      `${base}  mailstack:aliases:\n    - { address: x@example.com, to: ghost@example.com }\n`,
      /mailstack:aliases\[0\]\.to: ghost@example\.com is not a user or group/,
    ],
    [
      "a catch-all to nobody",
      `config:\n  mailstack:hostname: mx.example.com\n  mailstack:domains:\n    - { name: example.com, catchAll: ghost@example.com }\n`,
      /mailstack:domains\[0\]\.catchAll: ghost@example\.com is not a user or group/,
    ],
    [
      "no domains",
      `config:\n  mailstack:hostname: mx.example.com\n  mailstack:domains: []\n`,
      /mailstack:domains: expected at least one domain/,
    ],
    [
      "a missing key",
      `config:\n  mailstack:domains:\n    - name: example.com\n`,
      /mailstack:hostname: /,
    ],
    [
      "an LDAP directory without its URL",
      `${base}  mailstack:directory: { backend: ldap, baseDN: x, bindDN: y, bindPassword: z }\n`,
      /mailstack:directory\.url: /,
    ],
    [
      "a size without a unit",
      `${base}  mailstack:users:\n    - { address: a@example.com, name: A, quota: lots }\n`,
      /mailstack:users\[0\]\.quota: /,
    ],
    [
      "not a stack file",
      `hostname: x\n`,
      /expected a Pulumi stack file with a top-level `config:` map/,
    ],
    ["broken YAML", `config:\n  mailstack:domains: [\n`, /not valid YAML/],
  ];
  for (const [name, yaml, expected] of cases) {
    it(`names the key for ${name}`, () => {
      const message = errorOf(yaml);
      assert.match(message, expected);
      assert.ok(message.startsWith(SOURCE), message);
    });
  }

  it("does not put a bad bindPassword's value in the error", () => {
    const message = errorOf(
      `${base}  mailstack:directory: { backend: ldap, url: "not a url", baseDN: x, bindDN: y, bindPassword: 42 }\n`,
    );
    assert.match(message, /mailstack:directory\.bindPassword: /);
    assert.doesNotMatch(message, /42/);
  });
});

describe("stack config with Pulumi secrets", () => {
  const yaml = `${base}  mailstack:users:\n    - address: ann@example.com\n      name: Ann\n      password:\n        secure: v1:abcdef==\n`;

  it("refuses them for a local run, naming the key", () => {
    assert.match(errorOf(yaml), /mailstack:users\[0\]\.password: is a Pulumi secret/);
  });

  it("stands in a placeholder for the plan", () => {
    const config = parseStackYaml(yaml, SOURCE, "placeholder");
    assert.equal(config.users[0]?.password, "[secret]");
  });
});

describe("stack config: SPF includes", () => {
  it("accepts service names with underscores, refuses what is not a domain", () => {
    const yaml = (include: string) =>
      `config:\n  mailstack:hostname: mx.example.com\n  mailstack:domains:\n    - name: example.com\n      spf: { include: ["${include}"] }\n`;
    assert.deepEqual(parseStackYaml(yaml("_spf.Example.net"), SOURCE).domains[0]?.spf.include, [
      "_spf.example.net",
    ]);
    assert.match(
      errorOf(yaml("not a domain")),
      /mailstack:domains\[0\]\.spf\.include\[0\]: expected a domain name/,
    );
  });
});
