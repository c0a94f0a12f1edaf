/** The node:dns resolver against a real `named`: answers, and failures classified once. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startNamed, type Named } from "../../../test/helpers/bind.ts";
import { createDnsResolver, DnsLookupError, type DnsResolver } from "./resolver.ts";

const ZONE = `$TTL 60
@      IN SOA ns.dns.test. hostmaster.dns.test. 1 60 60 600 60
@      IN NS  ns.dns.test.
ns     IN A   127.0.0.1
@      IN MX  10 mx.dns.test.
mx     IN A   127.0.0.2
mx     IN AAAA ::1
nullmx IN MX  0 .
txt    IN TXT "v=spf1 -all"
`;

let named: Named;
let resolver: DnsResolver;

before(async () => {
  named = await startNamed([{ zone: "dns.test", text: ZONE }]);
  resolver = createDnsResolver({ servers: [`127.0.0.1:${named.port}`], timeoutMs: 1000, tries: 1 });
});
after(() => named?.cleanup());

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    assert.ok(error instanceof DnsLookupError);
    return error.kind;
  }
  return "answered";
}

describe("createDnsResolver", () => {
  it("answers MX, A, AAAA and TXT", async () => {
    assert.deepEqual(
      (await resolver.resolveMx("dns.test")).map((r) => [r.priority, r.exchange]),
      [[10, "mx.dns.test"]],
    );
    assert.deepEqual(await resolver.resolve4("mx.dns.test"), ["127.0.0.2"]);
    assert.deepEqual(await resolver.resolve6("mx.dns.test"), ["::1"]);
    assert.deepEqual(await resolver.resolveTxt("txt.dns.test"), [["v=spf1 -all"]]);
  });
  it('gives a null MX as exchange ""', async () => {
    assert.deepEqual(await resolver.resolveMx("nullmx.dns.test"), [
      { exchange: "", priority: 0, type: "MX" },
    ]);
  });
  it("classifies NXDOMAIN, NODATA and REFUSED", async () => {
    assert.equal(await failure(resolver.resolveMx("missing.dns.test")), "nxdomain");
    assert.equal(await failure(resolver.resolveMx("mx.dns.test")), "nodata");
    assert.equal(await failure(resolver.resolveMx("example.org")), "temporary");
  });
  it("classifies a server that does not answer as temporary", async () => {
    const silent = createDnsResolver({ servers: ["127.0.0.1:9"], timeoutMs: 200, tries: 1 });
    assert.equal(await failure(silent.resolve4("dns.test")), "temporary");
  });
});
