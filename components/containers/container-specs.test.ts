/**
 * The container specs as a pure function: each server's runtime config is accepted by that
 * server's own config schema, secrets are files (never env values, never in a spec's text),
 * and the config's images, ports and limits are the ones declared.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { z } from "zod";
import { imapConfigSchema } from "../../servers/imap/config.ts";
import { mdaConfigSchema } from "../../servers/mda/config.ts";
import { mtaConfigSchema } from "../../servers/mta/config.ts";
import { pop3ConfigSchema } from "../../servers/pop3/config.ts";
import { spamConfigSchema } from "../../servers/spam/config.ts";
import { webmailConfigSchema } from "../../servers/webmail/config.ts";
import { loadStackFile, parseStackConfig } from "../../stacks/load.ts";
import { containerSpecs, secretsOf, type ContainerSpec } from "./container-specs.ts";
import { CONFIG_PATH } from "./layout.ts";
import { fillMaterials, materialsIn } from "./runtime-configs.ts";

const stackFile = (env: string) =>
  loadStackFile(
    new URL(`../../stacks/Pulumi.${env}.yaml`, import.meta.url).pathname,
    "placeholder",
  );

const SCHEMAS: Record<string, z.ZodType> = {
  mta: mtaConfigSchema,
  mda: mdaConfigSchema,
  imap: imapConfigSchema,
  pop3: pop3ConfigSchema,
  spam: spamConfigSchema,
  webmail: webmailConfigSchema,
};

function runtimeConfig(spec: ContainerSpec): unknown {
  const file = spec.files.find((f) => f.path === CONFIG_PATH);
  assert.ok(file, `${spec.server} has no runtime config`);
  const values = Object.fromEntries(materialsIn(file.text).map((m) => [m, `value-of-${m}`]));
  return JSON.parse(fillMaterials(file.text, values));
}

describe("containerSpecs", () => {
  for (const env of ["dev", "prod"]) {
    it(`gives each server of the ${env} stack a runtime config its own schema accepts`, async () => {
      const { containers } = containerSpecs(await stackFile(env));
      for (const spec of containers.filter((c) => c.server !== "directory")) {
        const schema = SCHEMAS[spec.server];
        assert.ok(schema, spec.server);
        const parsed = schema.safeParse(runtimeConfig(spec));
        assert.ok(parsed.success, `${spec.server}: ${parsed.error?.message}`);
      }
    });
  }

  it("delivers secrets as 0400 files only: TLS key, DKIM keys of active selectors, passwords", async () => {
    const { containers } = containerSpecs(await stackFile("prod"));
    const secrets = Object.fromEntries(containers.map((c) => [c.server, secretsOf(c).sort()]));
    assert.deepEqual(secrets, {
      directory: ["directory-admin-password", "tls-key"],
      spam: [],
      mda: ["directory-service-password"],
      mta: [
        "directory-service-password",
        "dkim:example.com:ed2026a",
        "dkim:example.com:rsa2026a",
        "dkim:example.org:org2026a",
        "tls-key",
      ],
      imap: ["directory-service-password", "tls-key"],
      webmail: ["tls-key"],
    });
    for (const spec of containers) {
      for (const f of spec.files) assert.equal(f.mode, f.secret ? "0400" : "0444", f.path);
      for (const value of Object.values(spec.env)) assert.doesNotMatch(value, /\{\{/);
    }
  });

  it("uses given image tags, published ports and resource limits from the config", () => {
    const config = parseStackConfig(
      {
        hostname: "mail.x.test",
        domains: [{ name: "x.test" }],
        docker: {
          images: { mta: "registry.example/mta:1.2" },
          ports: { smtp: 2025 },
          resources: { spam: { memory: "2GiB", cpus: 1.5 } },
          directory: { port: 4389 },
        },
      },
      "test",
    );
    const { containers, directory } = containerSpecs(config, { prefix: "x", version: "7" });
    const by = (s: string) => containers.find((c) => c.server === s);
    assert.deepEqual(by("mta")?.image, { kind: "given", tag: "registry.example/mta:1.2" });
    assert.equal(by("imap")?.image.tag, "mailstack-server:7");
    assert.equal(by("mta")?.ports[0]?.external, 2025);
    assert.deepEqual(by("spam")?.resources, { memoryBytes: 2 * 2 ** 30, cpus: 1.5 });
    assert.deepEqual(by("directory")?.ports, [{ internal: 3389, external: 4389, ip: "127.0.0.1" }]);
    assert.equal(directory.adminUrl, "ldap://127.0.0.1:4389");
    assert.equal(by("mta")?.name, "x-mta");
    assert.deepEqual(by("imap")?.command, ["node", "servers/imap/main.js"]);
    assert.equal(
      by("directory")?.files.find((f) => f.path === "/etc/mailstack/directory.env")?.text,
      [
        "BASE_DN='dc=x,dc=test'",
        "ADMIN_DN='cn=admin,dc=x,dc=test'",
        "SERVICE_DN='cn=mail-reader,ou=services,ou=mailstack,dc=x,dc=test'",
        "PORT='3389'",
        "DATA_DIR='/var/lib/ldap'",
        "",
      ].join("\n"),
    );
  });
});
