/**
 * The DnsRecords component under Pulumi's mocks: what it declares on Cloudflare for the prod
 * stack, that DKIM content flows from the key Outputs, and that provider `none` declares nothing.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { cloudflareRecordArgs, cloudflareResourceName } from "./cloudflare-record.ts";
import { DnsRecordsError } from "./errors.ts";
import { buildDnsRecords } from "./records.ts";
import { keysFor, loadDev, loadProd, realPublicKey } from "./testing.ts";

interface Created {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}
const created: Created[] = [];
await pulumi.runtime.setMocks(
  {
    newResource(args) {
      created.push({
        type: args.type,
        name: args.name,
        inputs: args.inputs as Record<string, unknown>,
      });
      return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
    },
    call(args) {
      throw new Error(`unexpected call of ${args.token}`);
    },
  },
  "mailstack",
  "test",
  false,
);
// Imported after setMocks, so the SDK it loads talks to the mocks.
const { DnsRecords, DNS_RECORDS_TYPE, dkimCloudflareContent } = await import("./dns-records.ts");

const DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord";

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

type Component = InstanceType<typeof DnsRecords>;

/**
 * The resources registered while `make` runs, once the mocks have seen them all: the component's
 * URN, its children's URNs and its records output resolve only after registration. When `make`
 * makes nothing (it threw), a few turns of the event loop let any stray registration arrive.
 */
async function declared<C extends Component | undefined>(
  make: () => C,
): Promise<{ component: C; resources: Created[] }> {
  const before = created.length;
  const component = make();
  if (component) {
    await valueOf(component.urn);
    await valueOf(component.records);
    for (const child of Object.values(component.cloudflareRecords)) await valueOf(child.urn);
  } else {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { component, resources: created.slice(before) };
}

describe("DnsRecords", () => {
  it("declares one unproxied Cloudflare record per built record, as the builder says", async () => {
    const config = await loadProd();
    const rsa = realPublicKey("rsa2048");
    const ed = realPublicKey("ed25519");
    const keys = keysFor(config, (a) => (a === "ed25519" ? ed : rsa));
    // The keys arrive as Outputs, as they do from the DKIM component in the same run.
    const inputKeys = keys.map((k) => ({
      ...k,
      publicKey: pulumi.output(Promise.resolve(k.publicKey)),
    }));
    const { component, resources } = await declared(
      () => new DnsRecords("dns", { config, dkimKeys: inputKeys }),
    );
    const expected = buildDnsRecords(config, keys);
    const records = resources.filter((r) => r.type === DNS_RECORD);
    assert.equal(records.length, expected.length);
    assert.deepEqual(
      resources.filter((r) => r.type !== DNS_RECORD).map((r) => r.type),
      [DNS_RECORDS_TYPE],
    );

    const names = records.map((r) => r.name);
    assert.equal(new Set(names).size, names.length, "unique names");
    assert.ok(names.every((n) => n.startsWith("dns-")));
    const zoneIds = new Map(config.domains.map((d) => [d.name, d.cloudflareZoneId]));

    // Registration order is the SDK's business; match records by their resource name.
    const byName = new Map(records.map((r) => [r.name, r.inputs]));
    for (const record of expected) {
      const inputs = byName.get(cloudflareResourceName("dns", record));
      assert.ok(inputs, `no resource for ${record.type} ${record.name}`);
      const args = cloudflareRecordArgs(record);
      assert.equal(inputs.proxied, false, record.name);
      assert.equal(inputs.zoneId, zoneIds.get(record.zone), record.name);
      assert.equal(inputs.name, record.name);
      assert.equal(inputs.type, record.type);
      assert.equal(inputs.ttl, 3600);
      assert.equal(inputs.comment, record.comment);
      assert.equal(inputs.content, args.content, record.name);
      assert.equal(inputs.priority, args.priority, record.name);
      assert.deepEqual(inputs.data, args.data, record.name);
    }

    // DKIM content is the key Output's value, in quoted ≤255-octet strings.
    const dkim = records.find((r) => r.inputs.name === "rsa2026a._domainkey.example.com");
    const joined = String(dkim?.inputs.content).replace(/" "/g, "").replace(/^"|"$/g, "");
    assert.equal(joined, `v=DKIM1; k=rsa; p=${rsa}`);
    const edRecord = records.find((r) => r.inputs.name === "ed2026a._domainkey.example.com");
    assert.equal(edRecord?.inputs.content, `"v=DKIM1; k=ed25519; p=${ed}"`);

    // SRV and CAA go in `data`; MX has a priority; "." stays "." for disabled services.
    const pop3s = records.find((r) => r.inputs.name === "_pop3s._tcp.example.com");
    assert.deepEqual(pop3s?.inputs.data, { priority: 0, weight: 0, port: 0, target: "." });
    const caa = records.filter((r) => r.inputs.type === "CAA" && r.inputs.name === "example.com");
    assert.deepEqual(
      caa.map((r) => r.inputs.data),
      [
        { flags: 0, tag: "issue", value: "letsencrypt.org" },
        { flags: 0, tag: "iodef", value: "mailto:security@example.com" },
      ],
    );

    // Every child is parented to the component: its URN carries the component's type.
    for (const child of Object.values(component.cloudflareRecords)) {
      const urn = await valueOf(child.urn);
      assert.match(urn, new RegExp(`::${DNS_RECORDS_TYPE}\\$${DNS_RECORD}::dns-`));
    }
    assert.deepEqual(await valueOf(component.records), expected);
  });

  it("declares no resource with dns.provider none, and still exposes the records", async () => {
    const config = await loadDev();
    const keys = keysFor(config, () => realPublicKey("rsa2048"));
    const { component, resources } = await declared(
      () => new DnsRecords("dev-dns", { config, dkimKeys: keys }),
    );
    assert.deepEqual(
      resources.map((r) => r.type),
      [DNS_RECORDS_TYPE],
    );
    assert.deepEqual(Object.keys(component.cloudflareRecords), []);
    assert.deepEqual(await valueOf(component.records), buildDnsRecords(config, keys));
  });

  it("checks the size of real keys: an Ed25519 SPKI is not the raw key", () => {
    const spki = Buffer.concat([Buffer.alloc(12), Buffer.alloc(32, 1)]).toString("base64");
    const key = { domain: "example.com", selector: "ed", algorithm: "ed25519" } as const;
    assert.throws(
      () => dkimCloudflareContent({ ...key, publicKey: spki }),
      (error: unknown) => error instanceof DnsRecordsError && error.code === "DKIM_KEY_INVALID",
    );
    const raw = Buffer.alloc(32, 1).toString("base64");
    assert.equal(
      dkimCloudflareContent({ ...key, publicKey: raw }),
      `"v=DKIM1; k=ed25519; p=${raw}"`,
    );
  });

  it("refuses, before declaring any record, a config whose selectors lack keys", async () => {
    const config = await loadProd();
    const keys = keysFor(config).filter((k) => k.selector !== "rsa2026b");
    const { resources } = await declared(() => {
      assert.throws(
        () => new DnsRecords("bad", { config, dkimKeys: keys }),
        (error: unknown) => error instanceof DnsRecordsError && error.code === "DKIM_KEY_MISSING",
      );
      return undefined;
    });
    assert.equal(resources.filter((r) => r.type === DNS_RECORD).length, 0);
  });
});
