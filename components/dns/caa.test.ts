import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { caaIssuers, caaRecords } from "./caa.ts";
import { inlineConfig } from "./testing.ts";

const acme = (server?: string) => ({
  dns: { provider: "cloudflare" },
  domains: [{ name: "example.com", cloudflareZoneId: "0123456789abcdef0123456789abcdef" }],
  tls: { mode: "acme", email: "hostmaster@example.com", ...(server ? { server } : {}) },
});

function caa(keys: Record<string, unknown>): string[] {
  return caaRecords(inlineConfig(keys), 0).map((r) => `${r.name} ${r.flags} ${r.tag} "${r.value}"`);
}

describe("CAA per TLS mode", () => {
  it("acme with Let's Encrypt (production or staging): letsencrypt.org", () => {
    assert.deepEqual(caa(acme()), ['example.com 0 issue "letsencrypt.org"']);
    assert.deepEqual(caa(acme("staging")), ['example.com 0 issue "letsencrypt.org"']);
  });

  it("acme with another CA: no restriction unless issuers are given", () => {
    const other = acme("https://acme.other-ca.example/directory");
    assert.deepEqual(caa(other), []);
    assert.deepEqual(caa({ ...other, caa: { issuers: ["other-ca.example"] } }), [
      'example.com 0 issue "other-ca.example"',
    ]);
  });

  it("selfSigned and files: nothing by default", () => {
    assert.deepEqual(caa({}), []);
    assert.deepEqual(caa({ tls: { mode: "files", certFile: "c.pem", keyFile: "k.pem" } }), []);
    assert.equal(caaIssuers(inlineConfig()), undefined);
  });

  it("configured issuers (deduplicated), iodef, and an empty list forbids every CA", () => {
    assert.deepEqual(
      caa({
        caa: {
          issuers: ["sectigo.com", "letsencrypt.org", "sectigo.com"],
          iodef: "mailto:s@example.com",
        },
      }),
      [
        'example.com 0 issue "sectigo.com"',
        'example.com 0 issue "letsencrypt.org"',
        'example.com 0 iodef "mailto:s@example.com"',
      ],
    );
    assert.deepEqual(caa({ ...acme(), caa: { issuers: [] } }), ['example.com 0 issue ";"']);
    assert.deepEqual(caa({ caa: { iodef: "https://example.com/caa" } }), [
      'example.com 0 iodef "https://example.com/caa"',
    ]);
  });
});
