/**
 * Properties of the record builder over generated stack configs: whatever the config, what it
 * emits is valid DNS, or it refuses with one of its own errors, for a reason that holds.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { cloudflareRecordArgs, cloudflareResourceName } from "./cloudflare-record.ts";
import { configArbitrary } from "./config-arbitrary.ts";
import { DnsRecordsError, type DnsErrorCode } from "./errors.ts";
import { absolute, isAtOrBelow, nameProblem } from "./names.ts";
import { buildDnsRecords } from "./records.ts";
import { spfLookupCount } from "./spf.ts";
import { parseTxtPresentation } from "./txt.ts";
import type { DnsRecord } from "./types.ts";
import { groupByZone, renderZoneFile } from "./zone-file.ts";

/** Types that may hold several records at one name in our output. */
const MULTI_VALUED = new Set<DnsRecord["type"]>(["A", "AAAA", "CAA"]);

function assertValidDns(records: readonly DnsRecord[], zones: readonly string[]): void {
  const perNameType = new Map<string, number>();
  const typesAt = new Map<string, Set<string>>();
  for (const r of records) {
    assert.equal(nameProblem(r.name), undefined, r.name);
    assert.ok(zones.includes(r.zone) && isAtOrBelow(r.name, r.zone), `${r.name} in ${r.zone}`);
    assert.ok(Number.isInteger(r.ttl) && r.ttl >= 1 && r.ttl <= 86400);
    assert.ok(r.comment.length > 0 && !/[\r\n]/.test(r.comment));
    if (r.type === "CNAME" || r.type === "MX" || r.type === "SRV") {
      if (r.target !== ".") assert.equal(nameProblem(r.target), undefined, r.target);
    }
    if (r.type === "TXT") {
      assert.ok(r.strings.length >= 1);
      for (const s of r.strings) assert.ok(Buffer.byteLength(s) <= 255, `${r.name}: ${s.length}`);
      assert.equal(r.strings.join(""), r.value);
    }
    if (r.type === "SRV" || r.type === "MX") {
      for (const n of [r.priority, ...(r.type === "SRV" ? [r.weight, r.port] : [])]) {
        assert.ok(Number.isInteger(n) && n >= 0 && n <= 65535);
      }
    }
    const key = `${r.name} ${r.type}`;
    perNameType.set(key, (perNameType.get(key) ?? 0) + 1);
    if (!MULTI_VALUED.has(r.type)) assert.equal(perNameType.get(key), 1, `two ${key}`);
    typesAt.set(r.name, (typesAt.get(r.name) ?? new Set()).add(r.type));
  }
  for (const [name, types] of typesAt) {
    if (types.has("CNAME")) assert.equal(types.size, 1, `CNAME beside other data at ${name}`);
  }
  const unique = new Set(records.map(({ comment: _c, ...r }) => JSON.stringify(r)));
  assert.equal(unique.size, records.length, "the same record twice");
  for (const zone of zones) {
    const spf = records.filter(
      (r) => r.name === zone && r.type === "TXT" && r.value.startsWith("v=spf1"),
    );
    assert.equal(spf.length, 1, `one SPF record at ${zone}`);
    assert.ok(spfLookupCount(spf[0]!.type === "TXT" ? spf[0]!.value : "") <= 10);
    assert.equal(records.filter((r) => r.name === zone && r.type === "MX").length, 1);
  }
}

/** The quoted character-strings at the start of master-file RDATA. */
function leadingStrings(rdata: string): string[] {
  const quoted = /^((?:"(?:[^"\\]|\\.)*" ?)+)/.exec(rdata);
  assert.ok(quoted?.[1], rdata);
  return parseTxtPresentation(quoted[1].trimEnd());
}

/** Renders each zone and reads the record lines back: names, types, TXT strings survive. */
function assertZoneFilesRoundTrip(records: readonly DnsRecord[]): void {
  for (const [zone, list] of groupByZone(records)) {
    const lines = renderZoneFile(zone, list)
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith(";") && !l.startsWith("$"));
    const body = lines.filter((l) => !/ IN (SOA|NS) /.test(l) && !l.includes("(stand-in)"));
    assert.equal(body.length, list.length);
    body.forEach((line, i) => {
      const r = list[i]!;
      const match = /^(\S+) (\d+) IN (\S+) (.*)$/.exec(line);
      assert.ok(match, line);
      assert.equal(match[1], absolute(r.name));
      assert.equal(match[3], r.type);
      if (r.type === "TXT") assert.deepEqual(leadingStrings(match[4]!), r.strings);
    });
  }
}

function assertCloudflareArgs(records: readonly DnsRecord[]): void {
  const names = new Set<string>();
  for (const r of records) {
    const args = cloudflareRecordArgs(r);
    assert.equal(args.proxied, false);
    if (r.type === "TXT") assert.deepEqual(parseTxtPresentation(args.content ?? ""), r.strings);
    const name = cloudflareResourceName("dns", r);
    assert.ok(!names.has(name), `resource name ${name} twice`);
    assert.doesNotMatch(name, /::/);
    names.add(name);
  }
}

describe("buildDnsRecords properties", () => {
  it("modest configs always build, into valid DNS, zone files and Cloudflare records", () => {
    fc.assert(
      fc.property(configArbitrary(true), ({ config, keys }) => {
        const records = buildDnsRecords(config, keys);
        const zones = config.domains.map((d) => d.name);
        assertValidDns(records, zones);
        assertZoneFilesRoundTrip(records);
        assertCloudflareArgs(records);
      }),
      { numRuns: 300 },
    );
  });

  it("any config builds valid DNS or is refused with a reason that holds", () => {
    const allowed: readonly DnsErrorCode[] = [
      "SPF_TOO_MANY_LOOKUPS",
      "SPF_TOO_LONG",
      "NAME_INVALID",
      "CNAME_CONFLICT",
    ];
    const refused = new Map<string, number>();
    fc.assert(
      fc.property(configArbitrary(false), ({ config, keys }) => {
        const zones = config.domains.map((d) => d.name);
        let records: DnsRecord[];
        try {
          records = buildDnsRecords(config, keys);
        } catch (error) {
          assert.ok(error instanceof DnsRecordsError, String(error));
          assert.ok(allowed.includes(error.code), error.message);
          refused.set(error.code, (refused.get(error.code) ?? 0) + 1);
          if (error.code === "SPF_TOO_MANY_LOOKUPS") {
            assert.ok(config.domains.some((d) => d.spf.include.length > 9));
          }
          if (error.code === "CNAME_CONFLICT") {
            assert.ok(zones.some((a) => zones.some((b) => a !== b && isAtOrBelow(a, b))));
          }
          return;
        }
        assert.ok(config.domains.every((d) => d.spf.include.length <= 9));
        assertValidDns(records, zones);
        assertZoneFilesRoundTrip(records);
        assertCloudflareArgs(records);
      }),
      { numRuns: 300 },
    );
    // The generator does reach the refusals (else this property would test little).
    assert.ok((refused.get("SPF_TOO_MANY_LOOKUPS") ?? 0) > 0, JSON.stringify([...refused]));
  });
});
