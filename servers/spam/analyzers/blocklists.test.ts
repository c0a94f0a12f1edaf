/**
 * DNS blocklists and domain blocklists against a real BIND (test/helpers/bind.ts) serving test
 * zones on loopback, queried through the service's own resolver (node:dns + cache). The zones
 * hold RFC 5782 §5 test entries (127.0.0.2 listed, 127.0.0.1 not) and a few of our own.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startNamed, type Named } from "../../../test/helpers/bind.ts";
import { spamConfigSchema } from "../config.ts";
import { openDatabase } from "../database.ts";
import { createCachingResolver, nodeDnsLookup } from "../dns-cache.ts";
import { createEngine } from "../engine.ts";
import { message, silentLog } from "../testing/harness.ts";
import { reversedAddress } from "./dnsbl.ts";

const SOA = (zone: string) =>
  `$TTL 300\n@ IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 60\n@ IN NS ns.${zone}.\nns IN A 127.0.0.1\n`;

const BL_ZONE = `${SOA("bl.test")}
; RFC 5782 §5: 127.0.0.2 is listed, 127.0.0.1 is not
2.0.0.127 IN A 127.0.0.2
2.0.0.127 IN TXT "test entry"
99.2.0.192 IN A 127.0.0.4
; an answer in 127.255.255/24 is the list refusing the query, not a listing
10.2.0.192 IN A 127.255.255.254
${reversedAddress("2001:db8::bad")} IN A 127.0.0.2
`;

const DBL_ZONE = `${SOA("dbl.test")}
spam-sender.example IN A 127.0.1.2
phish-link.example IN A 127.0.1.4
`;

let named: Named;

before(async () => {
  named = await startNamed([
    { zone: "bl.test", text: BL_ZONE },
    { zone: "dbl.test", text: DBL_ZONE },
  ]);
});
after(async () => {
  await named.cleanup();
});

function engine(overrides: Record<string, unknown>) {
  const config = spamConfigSchema.parse({
    hostname: "mx.example.com",
    listen: { host: "127.0.0.1", port: 0 },
    dataDir: ":memory:",
    ...overrides,
  });
  const resolve = createCachingResolver(
    nodeDnsLookup({ servers: [`127.0.0.1:${named.port}`], timeoutMs: 1000, tries: 1 }),
  ).resolve;
  return createEngine(config, { db: openDatabase(":memory:"), resolve, log: silentLog });
}

async function hits(
  overrides: Record<string, unknown>,
  clientAddress: string,
  raw = message(),
  mailFrom = "a@example.org",
) {
  const result = await engine(overrides).check({
    raw: Buffer.from(raw),
    mailFrom,
    rcptTo: ["user@example.com"],
    clientAddress,
    helo: "[192.0.2.1]",
  });
  return new Map(result.symbols.map((s) => [s.name, s.detail ?? ""]));
}

describe("DNS blocklists of the client address (RFC 5782)", () => {
  const on = { dnsbl: ["bl.test"] };
  it("reversed address: IPv4 octets, IPv6 nibbles", () => {
    assert.equal(reversedAddress("192.0.2.99"), "99.2.0.192");
    assert.equal(reversedAddress("::ffff:192.0.2.99"), "99.2.0.192");
    assert.equal(
      reversedAddress("2001:db8::1"),
      "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2",
    );
  });
  it("127.0.0.2, the test entry, is listed", async () => {
    assert.equal((await hits(on, "127.0.0.2")).get("RBL_LISTED"), "127.0.0.2 in bl.test");
  });
  it("127.0.0.1 is not", async () => {
    assert.ok(!(await hits(on, "127.0.0.1")).has("RBL_LISTED"));
  });
  it("a listed documentation address is listed", async () => {
    assert.ok((await hits(on, "192.0.2.99")).has("RBL_LISTED"));
  });
  it("an IPv6 address is looked up by nibbles", async () => {
    assert.ok((await hits(on, "2001:db8::bad")).has("RBL_LISTED"));
  });
  it("a 127.255.255.x answer (list error code) is not a listing", async () => {
    assert.ok(!(await hits(on, "192.0.2.10")).has("RBL_LISTED"));
  });
  it("a zone that does not exist (REFUSED by our server) lists nobody", async () => {
    assert.ok(!(await hits({ dnsbl: ["nowhere.test"] }, "127.0.0.2")).has("RBL_LISTED"));
  });
  it("off by default: no zone, no query, no symbol", async () => {
    assert.ok(!(await hits({}, "127.0.0.2")).has("RBL_LISTED"));
  });
  it("a trusted client is not looked up", async () => {
    assert.ok(
      !(await hits({ ...on, trustedNetworks: ["127.0.0.0/8"] }, "127.0.0.2")).has("RBL_LISTED"),
    );
  });
});

describe("domain blocklists", () => {
  const on = { domainBlocklists: ["dbl.test"] };
  it("a listed MAIL FROM domain: DBL_SENDER", async () => {
    const found = await hits(on, "192.0.2.1", message(), "bounce@mail.spam-sender.example");
    assert.equal(found.get("DBL_SENDER"), "spam-sender.example in dbl.test");
  });
  it("a listed From domain: DBL_SENDER", async () => {
    const found = await hits(
      on,
      "192.0.2.1",
      message({ headers: { From: "x@spam-sender.example" } }),
    );
    assert.ok(found.has("DBL_SENDER"));
  });
  it("a link to a listed domain: DBL_URL", async () => {
    const found = await hits(
      on,
      "192.0.2.1",
      message({ body: "login at https://www.phish-link.example/account\r\n" }),
    );
    assert.equal(found.get("DBL_URL"), "phish-link.example in dbl.test");
    assert.ok(!found.has("DBL_SENDER"));
  });
  it("clean domains: nothing", async () => {
    const found = await hits(on, "192.0.2.1", message({ body: "https://www.example.org/\r\n" }));
    assert.ok(!found.has("DBL_URL") && !found.has("DBL_SENDER"));
  });
});
