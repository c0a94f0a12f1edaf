import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DnsRecordsError } from "./errors.ts";
import { buildDnsRecords } from "./records.ts";
import { SPF_MAX_LOOKUPS, spfLookupCount, spfRecord, spfValue } from "./spf.ts";
import { inlineConfig, keysFor } from "./testing.ts";

const includes = (n: number) => Array.from({ length: n }, (_, i) => `spf${i}.example.net`);

describe("SPF", () => {
  it("syntax: v=spf1 first, mx, ip4, ip6, includes, then all", () => {
    const config = inlineConfig({
      domains: [
        {
          name: "example.com",
          spf: {
            ip4: ["192.0.2.0/24", "198.51.100.7"],
            ip6: ["2001:db8::/32"],
            include: ["spf.example.net"],
            all: "~all",
          },
        },
      ],
    });
    const value = spfRecord(config, 0).value;
    assert.equal(
      value,
      "v=spf1 mx ip4:192.0.2.0/24 ip4:198.51.100.7 ip6:2001:db8::/32 include:spf.example.net ~all",
    );
    // RFC 7208 §4.5/§12: one record, terms separated by single spaces, version first.
    assert.match(value, /^v=spf1( [+\-~?]?[a-z0-9]+[:=/]?\S*)+$/);
  });

  it("the default is v=spf1 mx -all", () => {
    assert.equal(spfValue(inlineConfig().domains[0]!.spf), "v=spf1 mx -all");
  });

  // RFC 7208 §4.6.4: a, mx, ptr, include, exists and redirect cost a lookup; the rest none.
  const counts: [string, number][] = [
    ["v=spf1 -all", 0],
    ["v=spf1 mx -all", 1],
    ["v=spf1 a mx ptr -all", 3],
    ["v=spf1 +a:example.com/24 ~mx:example.net//64 ?all", 2],
    ["v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 exp=explain.example.com -all", 0],
    ["v=spf1 include:a.example include:b.example exists:%{i}.x.example redirect=c.example", 4],
    ["v=spf1 MX INCLUDE:A.EXAMPLE -ALL", 2],
    ["v=spf1 mxfoo amx -all", 0],
  ];
  for (const [record, expected] of counts) {
    it(`spfLookupCount(${record}) = ${expected}`, () => {
      assert.equal(spfLookupCount(record), expected);
    });
  }

  it("mx plus 9 includes is the limit; a 10th include is refused, naming the key", () => {
    const ok = inlineConfig({ domains: [{ name: "example.com", spf: { include: includes(9) } }] });
    assert.equal(spfLookupCount(spfRecord(ok, 0).value), SPF_MAX_LOOKUPS);
    const over = inlineConfig({
      domains: [{ name: "a.example" }, { name: "example.com", spf: { include: includes(10) } }],
    });
    assert.throws(
      () => buildDnsRecords(over, keysFor(over)),
      (error: unknown) =>
        error instanceof DnsRecordsError &&
        error.code === "SPF_TOO_MANY_LOOKUPS" &&
        error.message.startsWith("example.com: the SPF record needs 11 DNS lookups") &&
        error.message.includes("mailstack:domains[1].spf"),
    );
  });

  it("a record too long for a 512-octet UDP answer is refused", () => {
    const ip4 = Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1}`);
    const config = inlineConfig({ domains: [{ name: "example.com", spf: { ip4 } }] });
    assert.throws(
      () => spfRecord(config, 0),
      (error: unknown) =>
        error instanceof DnsRecordsError &&
        error.code === "SPF_TOO_LONG" &&
        error.message.includes("mailstack:domains[0].spf"),
    );
    // Long but fitting: split into two character-strings that join back (RFC 7208 §3.3).
    const fits = inlineConfig({
      domains: [{ name: "example.com", spf: { ip4: ip4.slice(0, 20) } }],
    });
    const record = spfRecord(fits, 0);
    assert.equal(record.strings.length, 2);
    assert.equal(record.strings.join(""), record.value);
  });
});
