/**
 * The Pulumi program as `pulumi up` runs it, under Pulumi's mocks: each stack file in stacks/ is
 * loaded as engine config, index.ts runs, and every declared resource is checked.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { dkimPublicKeyValue } from "../components/dkim/public-key.ts";
import type { DnsRecord } from "../components/dns/types.ts";
import { CONFIG_DIR, SECRETS_DIR } from "../components/containers/layout.ts";
import { loadStackFile } from "../stacks/load.ts";
import { SERVER_NAMES } from "../stacks/schema/deploy.ts";
import { installProgramMocks, valueOf, type Registration } from "./helpers/pulumi-mocks.ts";

const ROOT = resolve(import.meta.dirname, "..");
const STACKS = readdirSync(join(ROOT, "stacks"))
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => s !== undefined);

/** The engine's view of a stack file: `namespace:key` -> text (objects as JSON). */
function engineConfig(stack: string): Record<string, string> {
  const file = parse(readFileSync(join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  const config: Record<string, string> = { "cloudflare:apiToken": "test-cloudflare-token" };
  for (const [key, value] of Object.entries(file.config)) {
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return config;
}

interface Urn {
  readonly urn: string;
  readonly parentType: string | undefined;
  readonly type: string;
  readonly name: string;
}

/** What the mock monitor registered, by URN (the URN carries the parent's type). */
function registeredUrns(): Urn[] {
  const monitor = pulumi.runtime.getMonitor() as unknown as { resources?: Map<string, unknown> };
  assert.ok(monitor.resources instanceof Map, "the mock monitor no longer exposes its resources");
  return [...monitor.resources.keys()].map((urn) => {
    const [, , qualified = "", ...rest] = urn.split("::");
    const types = qualified.split("$");
    return {
      urn,
      parentType: types.length > 1 ? types.at(-2) : undefined,
      type: types.at(-1) ?? "",
      name: rest.join("::"),
    };
  });
}

const PRIVATE_KEY = /PRIVATE KEY/;
/** Pulumi's marker of a secret value in serialized inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
/** What the mocks' generated secrets look like (test/helpers/pulumi-mocks.ts). */
const GENERATED_SECRET = /generated-secret-/;

function isSecret(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && SECRET_SIG in value;
}

interface Upload {
  readonly file: string;
  readonly owner: string;
  readonly group: string;
  readonly content: string;
  readonly permissions: string;
}

it("has stack files to test", () => assert.deepEqual([...STACKS].sort(), ["dev", "prod"]));

for (const stack of STACKS) {
  describe(`stack ${stack}`, () => {
    let registrations: Registration[];
    let program: Record<string, unknown>;

    it("runs index.ts on the stack file", async () => {
      registrations = await installProgramMocks(stack);
      pulumi.runtime.setAllConfig(engineConfig(stack), ["cloudflare:apiToken"]);
      program = (await import(`../index.ts?stack=${stack}`)) as Record<string, unknown>;
      const records = await valueOf(program.dnsRecords as pulumi.Output<DnsRecord[]>);
      assert.ok(records.length > 10);
      // Resources whose inputs wait on other outputs (DKIM TXT content) register later.
      let seen = -1;
      for (let i = 0; i < 100 && seen !== registrations.length; i++) {
        seen = registrations.length;
        await new Promise((r) => setTimeout(r, 50));
      }
    });

    it("names every resource uniquely and prefixes each child with its parent's name", () => {
      const urns = registeredUrns();
      assert.equal(new Set(urns.map((u) => u.urn)).size, urns.length);
      assert.equal(
        new Set(registrations.map((r) => `${r.type}::${r.name}`)).size,
        registrations.length,
      );
      const componentNames = new Map(
        urns.filter((u) => u.type.startsWith("mailstack:")).map((u) => [u.type, u.name]),
      );
      assert.equal(componentNames.get("mailstack:index:MailStack"), "mailstack");
      // Under mocks there is no root stack resource: MailStack is the one resource without a parent.
      const topLevel = urns.filter((u) => u.parentType === undefined);
      assert.deepEqual(
        topLevel.map((u) => u.type),
        ["mailstack:index:MailStack"],
      );
      for (const u of urns.filter((u) => u.parentType !== undefined)) {
        const parentName = componentNames.get(u.parentType ?? "");
        assert.ok(parentName, `${u.type} ${u.name}: parent ${u.parentType} is not one of ours`);
        assert.ok(
          u.name.startsWith(`${parentName}-`),
          `${u.name} is not prefixed with ${parentName}-`,
        );
      }
    });

    it("publishes DKIM p= equal to the public half of each generated key", async () => {
      const records = await valueOf(program.dnsRecords as pulumi.Output<DnsRecord[]>);
      const keys = registrations.filter(
        (r) => r.type === "tls:index/privateKey:PrivateKey" && r.name.includes("-dkim-"),
      );
      const dkimRecords = records.filter((r) => r.name.includes("._domainkey."));
      assert.equal(keys.length, dkimRecords.length);
      for (const record of dkimRecords) {
        assert.equal(record.type, "TXT");
        const [selector = "", , ...domain] = record.name.split(".");
        const key = keys.find((k) => k.name === `mailstack-dkim-${domain.join(".")}-${selector}`);
        assert.ok(key?.key, `no key for ${record.name}`);
        const algorithm =
          record.type === "TXT" && record.value.includes("k=ed25519") ? "ed25519" : "rsa2048";
        const p = dkimPublicKeyValue(key.key.publicKeyPem, algorithm);
        assert.equal(
          record.type === "TXT" && record.value,
          `v=DKIM1; k=${algorithm === "ed25519" ? "ed25519" : "rsa"}; p=${p}`,
        );
      }
    });

    it("sends every record to Cloudflare unproxied when the stack uses Cloudflare, none otherwise", async () => {
      const records = await valueOf(program.dnsRecords as pulumi.Output<DnsRecord[]>);
      const cloudflare = registrations.filter(
        (r) => r.type === "cloudflare:index/dnsRecord:DnsRecord",
      );
      const usesCloudflare =
        engineConfig(stack)["mailstack:dns"]?.includes('"cloudflare"') ?? false;
      assert.equal(cloudflare.length, usesCloudflare ? records.length : 0);
      for (const r of cloudflare) {
        assert.equal(r.inputs.proxied, false, r.name);
        assert.match(String(r.inputs.zoneId), /^[0-9a-f]{32}$/);
      }
    });

    it("declares the whole system: every server's container, image, ports, volumes, files, health check", async () => {
      const config = await loadStackFile(
        join(ROOT, "stacks", `Pulumi.${stack}.yaml`),
        "placeholder",
      );
      const containers = registrations.filter((r) => r.type === "docker:index/container:Container");
      const expected = SERVER_NAMES.filter((s) => s !== "pop3" || config.services.pop3);
      assert.deepEqual(
        containers.map((c) => c.name.replace("mailstack-containers-", "")).sort(),
        [...expected].sort(),
      );
      const images = registrations.filter((r) => r.type === "docker:index/image:Image");
      assert.deepEqual(images.map((i) => i.inputs.imageName).sort(), [
        "mailstack-directory:latest",
        "mailstack-server:latest",
      ]);
      const volumes = registrations.filter((r) => r.type === "docker:index/volume:Volume");
      assert.deepEqual(
        volumes.map((v) => v.inputs.name).sort(),
        [
          "mailstack-directory",
          "mailstack-lmtp",
          "mailstack-mail",
          "mailstack-queue",
          "mailstack-spam",
          "mailstack-webmail",
          ...expected.map((server) => `mailstack-config-${server}`),
        ].sort(),
      );
      const published = new Map<number, string>();
      for (const c of containers) {
        const server = c.name.replace("mailstack-containers-", "");
        assert.match(
          String(c.inputs.image),
          /^mailstack-(server|directory):latest@sha256:/,
          server,
        );
        assert.equal(c.inputs.init, true, server);
        assert.equal(c.inputs.restart, "unless-stopped", server);
        assert.ok(Number(c.inputs.memory) > 0, server);
        assert.deepEqual(c.inputs.logOpts, { "max-size": "10m", "max-file": "3" }, server);
        const health = c.inputs.healthcheck as { tests: string[] };
        assert.equal(health.tests[0], "CMD", server);
        assert.deepEqual(c.inputs.networksAdvanced, [{ name: "mailstack", aliases: [server] }]);
        for (const p of c.inputs.ports as { external: number; ip: string }[]) {
          assert.ok(!published.has(p.external), `port ${p.external} published twice`);
          published.set(p.external, server);
        }
        // A read-only root: every file is written onto the container's own config volume.
        assert.equal(c.inputs.readOnly, true, server);
        assert.deepEqual(c.inputs.tmpfs, { "/tmp": "rw,noexec,nosuid,nodev,mode=1777,size=64m" });
        const mounts = c.inputs.volumes as { volumeName: string; containerPath: string }[];
        assert.deepEqual(mounts.at(-1), {
          volumeName: `mailstack-config-${server}`,
          containerPath: CONFIG_DIR,
        });
        const volumeNames = mounts.slice(0, -1).map((v) => v.volumeName);
        // Files holding a secret make the whole upload list a Pulumi secret; spam has none.
        const uploadsInput = c.inputs.uploads;
        assert.equal(
          isSecret(uploadsInput),
          server !== "spam",
          `${server}: secret files not secret`,
        );
        const uploads = (isSecret(uploadsInput) ? uploadsInput.value : uploadsInput) as Upload[];
        const files = uploads.map((u) => u.file);
        for (const u of uploads) {
          assert.doesNotMatch(u.content, /\{\{/, `${server} ${u.file}: a placeholder was left`);
          if (u.file.startsWith(SECRETS_DIR)) assert.equal(u.permissions, "0400", u.file);
          // Owned by the container's user: a 0400 secret owned by root would be unreadable.
          assert.equal(`${String(u.owner)}:${String(u.group)}`, c.inputs.user, u.file);
          assert.ok(u.file.startsWith(`${CONFIG_DIR}/`), `${server} ${u.file}: not on its volume`);
        }
        const needsDirectory = ["mta", "mda", "imap", "pop3"].includes(server);
        if (server !== "directory") assert.ok(files.includes("/etc/mailstack/config.json"), server);
        if (server !== "spam" && server !== "mda") {
          assert.ok(files.includes(`${SECRETS_DIR}/tls.key`), server);
        }
        if (needsDirectory) {
          // The runtime config names the password's file; the file holds it.
          const runtime = uploads.find((u) => u.file === "/etc/mailstack/config.json");
          assert.match(runtime?.content ?? "", /"bindPasswordFile": /);
          assert.doesNotMatch(runtime?.content ?? "", GENERATED_SECRET);
          const password = uploads.find(
            (u) => u.file === `${SECRETS_DIR}/directory-service-password`,
          );
          assert.equal(password?.content, "generated-secret-mailstack-directory-service-password");
          assert.equal(password.permissions, "0400");
        }
        if (server === "mda") assert.deepEqual(volumeNames, ["mailstack-mail", "mailstack-lmtp"]);
        if (["imap", "pop3"].includes(server)) assert.deepEqual(volumeNames, ["mailstack-mail"]);
        if (server === "mta") {
          assert.deepEqual(volumeNames, ["mailstack-queue", "mailstack-lmtp"]);
          const active = config.domains.flatMap((d) =>
            d.dkim
              .filter((k) => k.state === "active")
              .map((k) => `${SECRETS_DIR}/dkim/${d.name}.${k.selector}.pem`),
          );
          assert.deepEqual(files.filter((f) => f.includes("/dkim/")).sort(), active.sort());
          for (const f of active) {
            assert.match(uploads.find((u) => u.file === f)?.content ?? "", /BEGIN PRIVATE KEY/);
          }
        }
        if (server === "directory") {
          assert.deepEqual(volumeNames, ["mailstack-directory"]);
          assert.ok(files.includes(`${SECRETS_DIR}/directory-admin-password`));
        }
      }
      const ports = config.docker.ports;
      assert.deepEqual(
        [...published].sort((a, b) => a[0] - b[0]),
        [
          [ports.smtp, "mta"],
          [ports.submission, "mta"],
          [ports.submissions, "mta"],
          [ports.https, "webmail"],
          [ports.imaps, "imap"],
          ...(config.services.pop3 ? [[ports.pop3s, "pop3"] as [number, string]] : []),
          [config.docker.directory.port, "directory"],
        ].sort((a, b) => Number(a[0]) - Number(b[0])),
      );
      const sync = registrations.find((r) => r.type === "pulumi-nodejs:dynamic/mailstack:LdapSync");
      assert.ok(sync, "no directory reconciliation");
      assert.ok(isSecret(sync.inputs.bindPassword) && isSecret(sync.inputs.passwords));
      assert.equal(
        (sync.inputs.entries as { dn: string }[]).filter((e) => e.dn.startsWith("uid=")).length,
        config.users.length,
      );
    });

    it("gives no secret to an environment variable or a plain resource input", () => {
      for (const r of registrations) {
        for (const [key, value] of Object.entries(r.inputs)) {
          if (isSecret(value) || key === "__provider") continue;
          const text = JSON.stringify(value) ?? "";
          // The key pairs are made by the tls provider: their outputs are secret, not their inputs.
          assert.doesNotMatch(text, PRIVATE_KEY, `${r.name}.${key}`);
          assert.doesNotMatch(text, GENERATED_SECRET, `${r.name}.${key}`);
        }
        if (r.type === "docker:index/container:Container") {
          for (const env of r.inputs.envs as string[]) {
            assert.match(env, /^(MAILSTACK_CONFIG|NODE_ENV)=/, `${r.name}: ${env}`);
          }
        }
      }
    });

    it("outputs the endpoints and the webmail URL", () => {
      const endpoints = program.endpoints as Record<string, string>;
      assert.match(endpoints.submission ?? "", /^mail\.(dev\.)?example\.(test|com):587$/);
      assert.equal(program.webmailUrl, endpoints.webmail);
      assert.match(String(program.webmailUrl), /^https:\/\/mail\./);
    });

    it("keeps every private key out of the stack's plain outputs", async () => {
      for (const [name, output] of Object.entries(program)) {
        if (!pulumi.Output.isInstance(output)) {
          assert.doesNotMatch(JSON.stringify(output) ?? "", PRIVATE_KEY, name);
          continue;
        }
        const value = await valueOf(output);
        assert.doesNotMatch(JSON.stringify(value) ?? "", PRIVATE_KEY, name);
        assert.doesNotMatch(JSON.stringify(value) ?? "", GENERATED_SECRET, name);
      }
    });
  });
}

describe("a bad stack file", () => {
  it("fails before any resource is declared, naming the file, the key and what was expected", async () => {
    const registrations = await installProgramMocks("broken");
    pulumi.runtime.setAllConfig({
      ...engineConfig("dev"),
      "mailstack:hostname": "not a host name",
      "mailstack:dns": JSON.stringify({ provider: "route53" }),
    });
    // A query makes a fresh module instance (the other stacks' runs are cached).
    const brokenProgram: string = "../index.ts?stack=broken";
    await assert.rejects(import(brokenProgram), (error: Error) => {
      assert.match(
        error.message,
        /^stacks\/Pulumi\.broken\.yaml: mailstack:hostname: expected a host name/m,
      );
      assert.match(error.message, /^stacks\/Pulumi\.broken\.yaml: mailstack:dns\.provider: /m);
      return true;
    });
    assert.deepEqual(registrations, []);
  });
});
