/**
 * Route lookup with an in-memory resolver (the real-DNS cases are in delivery.test.ts): the
 * order among equal preferences, address families, and which failures are temporary.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DnsLookupError, type DnsResolver, type MxRecord } from "../../shared/dns/resolver.ts";
import { addressLiteral, lookupRoute, type Route } from "./lookup.ts";

type Answer = readonly string[] | readonly MxRecord[] | "nxdomain" | "nodata" | "temporary";

function resolver(records: Record<string, Answer>): DnsResolver & { queries: string[] } {
  const queries: string[] = [];
  const answer =
    <T>(type: string) =>
    (name: string): Promise<T> => {
      queries.push(`${type} ${name}`);
      const a = records[`${type} ${name}`] ?? "nodata";
      if (typeof a === "string") return Promise.reject(new DnsLookupError(a, name, type, a));
      return Promise.resolve(a as T);
    };
  return {
    queries,
    resolveMx: answer<MxRecord[]>("MX"),
    resolve4: answer<string[]>("A"),
    resolve6: answer<string[]>("AAAA"),
    resolveTxt: answer<string[][]>("TXT"),
  };
}

const hosts = (route: Route) =>
  route.kind === "hosts"
    ? route.hosts.map((h) => `${h.name} ${h.addresses.join(",")}`)
    : route.outcome.result.status;

describe("lookupRoute", () => {
  const equal = resolver({
    "MX x.test": [
      { exchange: "b.x.test", priority: 10 },
      { exchange: "a.x.test", priority: 10 },
      { exchange: "backup.x.test", priority: 50 },
    ],
    "A a.x.test": ["192.0.2.1"],
    "A b.x.test": ["192.0.2.2"],
    "AAAA b.x.test": ["2001:db8::2"],
    "A backup.x.test": ["192.0.2.9"],
  });
  it("puts lower preferences first and shuffles equal ones", async () => {
    const seen = new Set<string>();
    for (const r of [0, 0.99]) {
      const route = await lookupRoute("x.test", equal, { random: () => r });
      const names = hosts(route) as string[];
      assert.equal(names.at(-1), "backup.x.test 192.0.2.9");
      seen.add(names[0]!);
    }
    assert.equal(seen.size, 2, "both equal-preference hosts come first in some order");
  });
  it("lists IPv6 before IPv4", async () => {
    const route = await lookupRoute("x.test", equal, { random: () => 0 });
    assert.ok((hosts(route) as string[]).includes("b.x.test 2001:db8::2,192.0.2.2"));
  });
  it("ignores a null MX mixed with real ones, fails on a null MX alone", async () => {
    const r = resolver({
      "MX mixed.test": [
        { exchange: "", priority: 0 },
        { exchange: "mx.mixed.test", priority: 10 },
      ],
      "A mx.mixed.test": ["192.0.2.3"],
      "MX null.test": [{ exchange: "", priority: 0 }],
    });
    assert.deepEqual(hosts(await lookupRoute("mixed.test", r)), ["mx.mixed.test 192.0.2.3"]);
    assert.equal(hosts(await lookupRoute("null.test", r)), "5.1.10");
    assert.deepEqual(
      r.queries.filter((q) => q.endsWith("null.test")),
      ["MX null.test"],
    );
  });
  it("is temporary when an MX host's address lookup fails temporarily and no host is usable", async () => {
    const r = resolver({
      "MX t.test": [{ exchange: "mx.t.test", priority: 1 }],
      "A mx.t.test": "temporary",
    });
    assert.equal(hosts(await lookupRoute("t.test", r)), "4.4.3");
  });
  it("uses the hosts that resolve when another fails temporarily", async () => {
    const r = resolver({
      "MX t.test": [
        { exchange: "bad.t.test", priority: 1 },
        { exchange: "good.t.test", priority: 2 },
      ],
      "A bad.t.test": "temporary",
      "A good.t.test": ["192.0.2.4"],
    });
    assert.deepEqual(hosts(await lookupRoute("t.test", r)), ["good.t.test 192.0.2.4"]);
  });
  it("is permanent with no MX and no address (5.4.4), temporary on SERVFAIL (4.4.3)", async () => {
    assert.equal(hosts(await lookupRoute("empty.test", resolver({}))), "5.4.4");
    assert.equal(
      hosts(await lookupRoute("s.test", resolver({ "MX s.test": "temporary" }))),
      "4.4.3",
    );
    assert.equal(
      hosts(await lookupRoute("n.test", resolver({ "MX n.test": "nxdomain" }))),
      "5.1.2",
    );
  });
  it("normalizes case and a trailing dot", async () => {
    const r = resolver({
      "MX up.test": [{ exchange: "MX.UP.TEST.", priority: 1 }],
      "A mx.up.test": ["192.0.2.5"],
    });
    assert.deepEqual(hosts(await lookupRoute("UP.test.", r)), ["mx.up.test 192.0.2.5"]);
  });
});

describe("addressLiteral (RFC 5321 §4.1.3)", () => {
  const table: [string, string | undefined][] = [
    ["[192.0.2.1]", "192.0.2.1"],
    ["[IPv6:2001:db8::1]", "2001:db8::1"],
    ["[2001:db8::1]", undefined],
    ["[IPv6:192.0.2.1]", undefined],
    ["[999.0.0.1]", undefined],
    ["example.com", undefined],
  ];
  for (const [input, expected] of table) {
    it(`${input} -> ${expected ?? "not a literal"}`, () =>
      assert.equal(addressLiteral(input), expected));
  }
});
