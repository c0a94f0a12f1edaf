import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mtaStsPolicy, mtaStsPolicyId, mtaStsRecord } from "./mta-sts.ts";
import { inlineConfig } from "./testing.ts";

function idOf(keys: Record<string, unknown>, domain = "example.com"): string {
  return mtaStsPolicyId(mtaStsPolicy(inlineConfig(keys), domain));
}

const base = { domains: [{ name: "example.com", mtaSts: { mode: "testing", maxAge: 86400 } }] };

describe("MTA-STS", () => {
  it("the policy file is RFC 8461 §3.2: version first, CRLF lines", () => {
    assert.equal(
      mtaStsPolicy(inlineConfig(base), "example.com"),
      "version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmax_age: 86400\r\n",
    );
  });

  it("the TXT record is v=STSv1; id=<1..32 letters and digits> (RFC 8461 §3.1)", () => {
    const record = mtaStsRecord(inlineConfig(base), 0);
    assert.equal(record.name, "_mta-sts.example.com");
    assert.match(record.value, /^v=STSv1; id=[A-Za-z0-9]{1,32}$/);
  });

  it("mode none is still published (RFC 8461 §8.3, withdrawing a policy)", () => {
    const config = inlineConfig({ domains: [{ name: "example.com", mtaSts: { mode: "none" } }] });
    assert.match(mtaStsPolicy(config, "example.com"), /\r\nmode: none\r\n/);
    assert.match(mtaStsRecord(config, 0).value, /^v=STSv1; id=/);
  });

  it("the id changes exactly when the policy text changes", () => {
    const id = idOf(base);
    // Policy changes: a new id.
    const changed = [
      idOf({ domains: [{ name: "example.com", mtaSts: { mode: "none", maxAge: 86400 } }] }),
      idOf({ domains: [{ name: "example.com", mtaSts: { mode: "testing", maxAge: 86401 } }] }),
      idOf({ ...base, hostname: "mx.example.com" }),
    ];
    for (const other of changed) assert.notEqual(other, id);
    assert.equal(new Set(changed).size, changed.length);
    // Other config: the same id.
    const same = [
      idOf({ ...base, dns: { ttl: 60 } }),
      idOf({ ...base, services: { pop3: false } }),
      idOf({ ...base, addresses: { ipv4: ["192.0.2.1"] } }),
      idOf({
        domains: [
          {
            name: "example.com",
            cloudflareZoneId: "0123456789abcdef0123456789abcdef",
            mtaSts: { mode: "testing", maxAge: "1d" },
            dmarc: { policy: "reject" },
            spf: { include: ["x.example.net"] },
            tlsRpt: { rua: ["mailto:t@example.com"] },
          },
          {
            name: "example.org",
            cloudflareZoneId: "fedcba9876543210fedcba9876543210",
            mtaSts: { mode: "enforce" },
          },
        ],
        tls: { mode: "acme", email: "a@example.com" },
        dns: { provider: "cloudflare" },
      }),
    ];
    for (const other of same) assert.equal(other, id);
  });

  it("refuses a domain the stack does not have", () => {
    assert.throws(() => mtaStsPolicy(inlineConfig(), "example.net"), /not one of this stack's/);
  });
});
