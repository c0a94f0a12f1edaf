import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DnsRecordsError } from "./errors.ts";
import { buildDnsRecords } from "./records.ts";
import { inlineConfig, keysFor, loadProd } from "./testing.ts";
import { txtRecord } from "./txt.ts";
import type { DnsRecord } from "./types.ts";
import { groupByZone, rdataText, renderZoneFile } from "./zone-file.ts";

const base = { zone: "example.com", ttl: 3600, comment: "test" } as const;

describe("zone files", () => {
  it("groups records by zone, in first-seen order", async () => {
    const config = await loadProd();
    const zones = groupByZone(buildDnsRecords(config, keysFor(config)));
    assert.deepEqual([...zones.keys()], ["example.com", "example.org"]);
    assert.ok([...zones].every(([zone, records]) => records.every((r) => r.zone === zone)));
  });

  it("writes every record kind in presentation format with absolute names", () => {
    const records: DnsRecord[] = [
      { ...base, name: "example.com", type: "MX", priority: 10, target: "mail.example.com" },
      { ...base, name: "mail.example.com", type: "A", address: "192.0.2.1" },
      { ...base, name: "mail.example.com", type: "AAAA", address: "2001:db8::1" },
      { ...base, name: "autoconfig.example.com", type: "CNAME", target: "mail.example.com" },
      txtRecord({ ...base, name: "example.com" }, 'v=spf1 "quoted" -all'),
      {
        ...base,
        name: "_imaps._tcp.example.com",
        type: "SRV",
        priority: 0,
        weight: 1,
        port: 993,
        target: "mail.example.com",
      },
      {
        ...base,
        name: "_pop3._tcp.example.com",
        type: "SRV",
        priority: 0,
        weight: 0,
        port: 0,
        target: ".",
      },
      { ...base, name: "example.com", type: "CAA", flags: 0, tag: "issue", value: ";" },
    ];
    assert.deepEqual(records.map(rdataText), [
      "10 mail.example.com.",
      "192.0.2.1",
      "2001:db8::1",
      "mail.example.com.",
      '"v=spf1 \\"quoted\\" -all"',
      "0 1 993 mail.example.com.",
      "0 0 0 .",
      '0 issue ";"',
    ]);
    const text = renderZoneFile("example.com", records);
    assert.match(text, /^\$ORIGIN example\.com\.$/m);
    assert.match(text, /^\$TTL 3600$/m);
    assert.match(
      text,
      /^example\.com\. 3600 IN SOA ns1\.example\.com\. hostmaster\.example\.com\. 1 7200 3600 1209600 3600$/m,
    );
    assert.match(text, /^example\.com\. 3600 IN NS ns1\.example\.com\.$/m);
    assert.match(text, /^ns1\.example\.com\. 3600 IN A 192\.0\.2\.53 ; /m);
    assert.match(
      text,
      /^_imaps\._tcp\.example\.com\. 3600 IN SRV 0 1 993 mail\.example\.com\. ; test$/m,
    );
    assert.ok(text.endsWith("\n"));
  });

  it("takes SOA and name servers from options; no glue outside the zone", () => {
    const text = renderZoneFile("example.com", [], {
      soa: { serial: 2026010101, hostmaster: "dns.example.net" },
      nameservers: ["ns.example.net", { name: "ns2.example.com", addresses: ["2001:db8::53"] }],
    });
    assert.match(text, / SOA ns\.example\.net\. dns\.example\.net\. 2026010101 /);
    assert.match(text, /^example\.com\. 3600 IN NS ns\.example\.net\.$/m);
    assert.match(text, /^ns2\.example\.com\. 3600 IN AAAA 2001:db8::53 ; /m);
    assert.doesNotMatch(text, /192\.0\.2\.53/);
  });

  it("writes Cloudflare's automatic TTL (1) as the 300 seconds it serves", () => {
    const config = inlineConfig({ dns: { ttl: 1 } });
    const [zone, records] = [...groupByZone(buildDnsRecords(config, keysFor(config)))][0]!;
    const text = renderZoneFile(zone, records);
    assert.match(text, /^\$TTL 300$/m);
    assert.doesNotMatch(text, / 1 IN /);
  });

  it("refuses a record of another zone", () => {
    const record: DnsRecord = {
      ...base,
      zone: "example.org",
      name: "example.org",
      type: "A",
      address: "192.0.2.1",
    };
    assert.throws(
      () => renderZoneFile("example.com", [record]),
      (error: unknown) => error instanceof DnsRecordsError && error.code === "OUTSIDE_ZONE",
    );
  });
});
