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

    it("keeps every private key out of the stack's plain outputs", async () => {
      for (const [name, output] of Object.entries(program)) {
        if (!pulumi.Output.isInstance(output)) {
          assert.doesNotMatch(JSON.stringify(output) ?? "", PRIVATE_KEY, name);
          continue;
        }
        const value = await valueOf(output);
        assert.doesNotMatch(JSON.stringify(value) ?? "", PRIVATE_KEY, name);
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
