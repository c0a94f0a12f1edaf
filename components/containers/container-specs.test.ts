/**
 * The container specs as a pure function: each server's runtime config is accepted by that
 * server's own config schema, secrets are files (never env values, never in a spec's text),
 * and the config's images, ports and limits are the ones declared.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { z } from "zod";
import { imapConfigSchema } from "../../servers/imap/config.ts";
import { mdaConfigSchema } from "../../servers/mda/config.ts";
import { mtaConfigSchema } from "../../servers/mta/config.ts";
import { pop3ConfigSchema } from "../../servers/pop3/config.ts";
import { spamConfigSchema } from "../../servers/spam/config.ts";
import { webmailConfigSchema } from "../../servers/webmail/config.ts";
import { loadStackFile, parseStackConfig } from "../../stacks/load.ts";
import { defaultSpoolDir } from "../../servers/mta/queue/config.ts";
import { containerSpecs, secretsOf, type ContainerSpec } from "./container-specs.ts";
import { CONFIG_DIR, CONFIG_PATH, DATA_DIR } from "./layout.ts";
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
      webmail: ["directory-service-password", "tls-key"],
    });
    for (const spec of containers) {
      for (const f of spec.files) assert.equal(f.mode, f.secret ? "0400" : "0444", f.path);
      for (const value of Object.values(spec.env)) assert.doesNotMatch(value, /\{\{/);
    }
  });

  it("has the servers reach the directory with StartTLS and the password in a secret file", async () => {
    for (const env of ["dev", "prod"]) {
      const config = await stackFile(env);
      const { containers } = containerSpecs(config);
      const clients = containers.filter((c) => ["mta", "mda", "imap", "pop3"].includes(c.server));
      assert.ok(clients.length >= 3, env);
      for (const spec of clients) {
        const where = `${env} ${spec.server}`;
        const { directory } = runtimeConfig(spec) as { directory: Record<string, unknown> };
        assert.equal(directory.startTls, true, where);
        assert.equal(directory.servername, config.hostname, where);
        assert.equal(directory.bindPassword, undefined, where);
        const password = spec.files.find((f) => f.path === directory.bindPasswordFile);
        assert.equal(password?.text, "{{directory-service-password}}", where);
        assert.equal(password.mode, "0400", where);
        // The config names files only: it is no secret itself.
        assert.equal(spec.files.find((f) => f.path === CONFIG_PATH)?.secret, false, where);
        if (config.tls.mode === "selfSigned") {
          const ca = spec.files.find((f) => f.path === directory.caPath);
          assert.equal(ca?.text, "{{ca-cert}}", where);
        } else {
          // A public CA's certificate: the image's own trust store verifies it.
          assert.equal(directory.caPath, undefined, where);
        }
      }
    }
  });

  it("runs every container on a read-only root, its files on its own config volume", async () => {
    const { containers, volumes } = containerSpecs(await stackFile("dev"));
    const configVolumes = containers.map((c) => c.configVolume.name);
    assert.equal(new Set(configVolumes).size, containers.length);
    for (const name of Object.values(volumes)) assert.ok(!configVolumes.includes(name), name);
    for (const spec of containers) {
      assert.equal(spec.readOnlyRootFs, true, spec.server);
      assert.deepEqual(spec.tmpfs, ["/tmp"], spec.server);
      assert.equal(spec.configVolume.path, CONFIG_DIR);
      for (const f of spec.files) assert.ok(f.path.startsWith(`${CONFIG_DIR}/`), f.path);
    }
  });

  it("mounts the data volumes where a local data directory has them (backup and restore)", async () => {
    const { containers } = containerSpecs(await stackFile("dev"));
    const by = (server: string) => {
      const spec = containers.find((c) => c.server === server);
      assert.ok(spec, server);
      return { spec, runtime: runtimeConfig(spec) as Record<string, unknown> };
    };
    const mounted = (spec: ContainerSpec, volume: string) =>
      spec.volumes.find((v) => v.volume === volume)?.path;
    for (const server of ["mda", "imap", "pop3"]) {
      const { spec, runtime } = by(server);
      assert.equal(runtime.dataDir, DATA_DIR, server);
      // The store keeps its accounts in <dataDir>/mail (servers/store/sqlite).
      assert.equal(mounted(spec, "mail"), join(DATA_DIR, "mail"), server);
    }
    const spam = by("spam");
    assert.equal(spam.runtime.dataDir, DATA_DIR);
    assert.equal(mounted(spam.spec, "spam"), join(DATA_DIR, "spam"));
    const mta = by("mta");
    const queue = mta.runtime.queue as { spoolDir: string };
    assert.equal(queue.spoolDir, defaultSpoolDir(DATA_DIR));
    assert.equal(mounted(mta.spec, "queue"), queue.spoolDir);
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
