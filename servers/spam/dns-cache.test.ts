/** The caching resolver: TTLs, negative caching, failures, shared lookups, the size bound. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createCachingResolver,
  DEFAULT_DNS_CACHE,
  staticLookup,
  type DnsError,
  type Lookup,
} from "./dns-cache.ts";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (s: number) => (now += s) };
}

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return "resolved";
  } catch (error) {
    return (error as DnsError).code;
  }
};

describe("caching resolver", () => {
  it("keeps an answer for its TTL, then asks again", async () => {
    const time = clock();
    const lookup = staticLookup({ "A a.example": ["192.0.2.1"] }, { ttl: 120 });
    const { resolve, stats } = createCachingResolver(lookup, {
      ...DEFAULT_DNS_CACHE,
      now: time.now,
    });
    assert.deepEqual(await resolve("a.example", "A"), ["192.0.2.1"]);
    assert.deepEqual(
      await resolve("A.Example.", "A"),
      ["192.0.2.1"],
      "names are case-insensitive, trailing dot ignored",
    );
    time.advance(119);
    await resolve("a.example", "A");
    assert.equal(lookup.queries.length, 1);
    time.advance(2);
    await resolve("a.example", "A");
    assert.equal(lookup.queries.length, 2);
    assert.deepEqual(stats, { queries: 2, hits: 2 });
  });

  it("clamps TTLs to [minTtl, maxTtl]; answers without a TTL get defaultTtl", async () => {
    const time = clock();
    const lookup = staticLookup({ "A z.example": ["192.0.2.1"] }, { ttl: 0 });
    const { resolve } = createCachingResolver(lookup, {
      ...DEFAULT_DNS_CACHE,
      minTtl: 30,
      now: time.now,
    });
    await resolve("z.example", "A");
    time.advance(29);
    await resolve("z.example", "A");
    assert.equal(lookup.queries.length, 1, "a TTL of 0 is held for minTtl");
    const plain = staticLookup({ "TXT t.example": [["x"]] });
    const cached = createCachingResolver(plain, {
      ...DEFAULT_DNS_CACHE,
      defaultTtl: 300,
      now: time.now,
    });
    await cached.resolve("t.example", "TXT");
    time.advance(299);
    await cached.resolve("t.example", "TXT");
    assert.equal(plain.queries.length, 1);
  });

  it("caches NXDOMAIN and NODATA for negativeTtl, keeping the error code", async () => {
    const time = clock();
    const lookup = staticLookup({ "A exists.example": ["192.0.2.1"] });
    const { resolve } = createCachingResolver(lookup, {
      ...DEFAULT_DNS_CACHE,
      negativeTtl: 60,
      now: time.now,
    });
    assert.equal(await code(resolve("missing.example", "A")), "ENOTFOUND");
    assert.equal(await code(resolve("exists.example", "MX")), "ENODATA");
    assert.equal(await code(resolve("missing.example", "A")), "ENOTFOUND");
    assert.equal(lookup.queries.length, 2);
    time.advance(61);
    await code(resolve("missing.example", "A"));
    assert.equal(lookup.queries.length, 3);
  });

  it("never caches temporary failures", async () => {
    const lookup = staticLookup({ "ANY flaky.example": "ETIMEOUT" });
    const { resolve } = createCachingResolver(lookup);
    assert.equal(await code(resolve("flaky.example", "TXT")), "ETIMEOUT");
    assert.equal(await code(resolve("flaky.example", "TXT")), "ETIMEOUT");
    assert.equal(lookup.queries.length, 2);
  });

  it("concurrent queries for one name share one lookup", async () => {
    let calls = 0;
    const slow: Lookup = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return { records: ["192.0.2.1"], ttl: 60 };
    };
    const { resolve } = createCachingResolver(slow);
    const answers = await Promise.all([
      resolve("s.example", "A"),
      resolve("s.example", "A"),
      resolve("s.example", "A"),
    ]);
    assert.equal(calls, 1);
    assert.deepEqual(answers, [["192.0.2.1"], ["192.0.2.1"], ["192.0.2.1"]]);
  });

  it("stays within maxEntries by dropping the oldest", async () => {
    const records: Record<string, string[]> = {};
    for (let i = 0; i < 30; i++) records[`A h${i}.example`] = ["192.0.2.1"];
    const lookup = staticLookup(records, { ttl: 3600 });
    const { resolve } = createCachingResolver(lookup, { ...DEFAULT_DNS_CACHE, maxEntries: 10 });
    for (let i = 0; i < 30; i++) await resolve(`h${i}.example`, "A");
    await resolve("h29.example", "A");
    assert.equal(lookup.queries.length, 30, "the newest entry is still cached");
    await resolve("h0.example", "A");
    assert.equal(lookup.queries.length, 31, "the oldest was dropped");
  });
});
