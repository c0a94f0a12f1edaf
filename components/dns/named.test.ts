/**
 * The plan's zone files in a real DNS server: BIND's named (Debian bind9) loads the prod stack's
 * zones, and a node:dns resolver asking it gets back exactly the records the builder made.
 */
import assert from "node:assert/strict";
import type { Resolver } from "node:dns/promises";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { checkZoneFile, startNamed, type Named } from "../../test/helpers/bind.ts";
import { configArbitrary } from "./config-arbitrary.ts";
import { buildDnsRecords } from "./records.ts";
import { keysFor, loadProd, realPublicKey } from "./testing.ts";
import type { DnsRecord } from "./types.ts";
import { groupByZone, renderZoneFile } from "./zone-file.ts";

/** What the resolver answers for one record's name and type, in the builder's terms. */
async function answer(
  resolver: Resolver,
  type: DnsRecord["type"],
  name: string,
): Promise<string[]> {
  switch (type) {
    case "A":
      return resolver.resolve4(name);
    case "AAAA":
      return resolver.resolve6(name);
    case "CNAME":
      return resolver.resolveCname(name);
    case "MX":
      return (await resolver.resolveMx(name)).map((mx) => `${mx.priority} ${mx.exchange}`);
    case "TXT":
      return (await resolver.resolveTxt(name)).map((chunks) => JSON.stringify(chunks));
    case "SRV":
      return (await resolver.resolveSrv(name)).map(
        (s) => `${s.priority} ${s.weight} ${s.port} ${s.name === "" ? "." : s.name}`,
      );
    case "CAA":
      return (await resolver.resolveCaa(name)).map((caa) => {
        // Node names the property after its tag, and adds `type` in newer versions.
        const { critical, ...rest } = caa as unknown as Record<string, unknown>;
        const [tag, value] = Object.entries(rest).find(([k]) => k !== "type") ?? ["?", "?"];
        return `${String(critical)} ${tag} ${String(value)}`;
      });
  }
}

/** The same text for what the builder declared. */
function expected(record: DnsRecord): string {
  switch (record.type) {
    case "A":
    case "AAAA":
      return record.address;
    case "CNAME":
      return record.target;
    case "MX":
      return `${record.priority} ${record.target}`;
    case "TXT":
      return JSON.stringify(record.strings);
    case "SRV":
      return `${record.priority} ${record.weight} ${record.port} ${record.target}`;
    case "CAA":
      return `${record.flags} ${record.tag} ${record.value}`;
  }
}

describe("the prod plan served by named", () => {
  let named: Named | undefined;
  let records: DnsRecord[] = [];
  const rsa = realPublicKey("rsa2048");
  const ed = realPublicKey("ed25519");

  before(async () => {
    const config = await loadProd();
    records = buildDnsRecords(
      config,
      keysFor(config, (a) => (a === "ed25519" ? ed : rsa)),
    );
    const zones = [...groupByZone(records)].map(([zone, list]) => ({
      zone,
      text: renderZoneFile(zone, list),
    }));
    assert.deepEqual(
      zones.map((z) => z.zone),
      ["example.com", "example.org"],
    );
    named = await startNamed(zones);
  });

  after(async () => {
    await named?.cleanup();
  });

  it("answers every declared record, and only those, name by name and type by type", async () => {
    assert.ok(named);
    const resolver = named.resolver();
    const groups = new Map<string, DnsRecord[]>();
    for (const r of records) {
      const key = `${r.type} ${r.name}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    assert.equal(groups.size, 37);
    for (const [key, list] of groups) {
      const first = list[0]!;
      const got = await answer(resolver, first.type, first.name);
      assert.deepEqual(got.sort(), list.map(expected).sort(), key);
    }
  });

  it("serves the long DKIM key as two strings that join to the record", async () => {
    assert.ok(named);
    const [txt] = await named.resolver().resolveTxt("rsa2026a._domainkey.example.com");
    assert.ok(txt);
    assert.equal(txt.length, 2);
    assert.equal(txt.join(""), `v=DKIM1; k=rsa; p=${rsa}`);
    const [edTxt] = await named.resolver().resolveTxt("ed2026a._domainkey.example.com");
    assert.deepEqual(edTxt, [`v=DKIM1; k=ed25519; p=${ed}`]);
  });

  it("the mail clients' view: MX, submission and IMAP SRV, POP3 refused with '.'", async () => {
    assert.ok(named);
    const resolver = named.resolver();
    const mx = await resolver.resolveMx("example.org");
    assert.deepEqual(
      mx.map(({ exchange, priority }) => ({ exchange, priority })),
      [{ exchange: "mail.example.com", priority: 10 }],
    );
    const [imaps] = await resolver.resolveSrv("_imaps._tcp.example.org");
    assert.ok(imaps);
    const { name, port, priority, weight } = imaps;
    assert.deepEqual(
      { name, port, priority, weight },
      { name: "mail.example.com", port: 993, priority: 0, weight: 1 },
    );
    const [pop3s] = await resolver.resolveSrv("_pop3s._tcp.example.org");
    assert.equal(pop3s?.port, 0);
    assert.ok(pop3s?.name === "" || pop3s?.name === ".");
  });
});

describe("zone files of generated configs", () => {
  it("all pass named-checkzone", async () => {
    await fc.assert(
      fc.asyncProperty(configArbitrary(true), async ({ config, keys }) => {
        for (const [zone, list] of groupByZone(buildDnsRecords(config, keys))) {
          await checkZoneFile(zone, renderZoneFile(zone, list));
        }
      }),
      { numRuns: 15 },
    );
  });
});
