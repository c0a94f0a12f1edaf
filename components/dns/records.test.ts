import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { StackConfig } from "../../stacks/schema.ts";
import { DnsRecordsError, buildDnsRecords, mtaStsPolicy, mtaStsPolicyId } from "./records.ts";
import { inlineConfig, keysFor, loadDev, loadProd, realPublicKey } from "./testing.ts";
import type { DnsRecord } from "./types.ts";

/** The records at `name` of `type`, as compact text (the RDATA without the comment). */
function at(records: readonly DnsRecord[], type: DnsRecord["type"], name: string): string[] {
  return records
    .filter((r) => r.type === type && r.name === name)
    .map((r) => {
      switch (r.type) {
        case "A":
        case "AAAA":
          return r.address;
        case "CNAME":
          return r.target;
        case "MX":
          return `${r.priority} ${r.target}`;
        case "TXT":
          return r.value;
        case "SRV":
          return `${r.priority} ${r.weight} ${r.port} ${r.target}`;
        case "CAA":
          return `${r.flags} ${r.tag} ${r.value}`;
      }
    });
}

function build(config: StackConfig): DnsRecord[] {
  return buildDnsRecords(config, keysFor(config));
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DnsRecordsError, String(error));
    return `${error.code}: ${error.message}`;
  }
  assert.fail("expected a DnsRecordsError");
}

describe("buildDnsRecords on the prod stack", () => {
  let config: StackConfig;
  let records: DnsRecord[];
  const rsa = realPublicKey("rsa2048");
  const ed = realPublicKey("ed25519");
  before(async () => {
    config = await loadProd();
    records = buildDnsRecords(
      config,
      keysFor(config, (alg) => (alg === "ed25519" ? ed : rsa)),
    );
  });

  it("MX of both domains points at the one host; its A/AAAA are in example.com only", () => {
    assert.deepEqual(at(records, "MX", "example.com"), ["10 mail.example.com"]);
    assert.deepEqual(at(records, "MX", "example.org"), ["10 mail.example.com"]);
    assert.deepEqual(at(records, "A", "mail.example.com"), ["203.0.113.25"]);
    assert.deepEqual(at(records, "AAAA", "mail.example.com"), ["2001:db8:25::25"]);
    const hostZones = records.filter((r) => r.name === "mail.example.com").map((r) => r.zone);
    assert.deepEqual(hostZones, ["example.com", "example.com"]);
  });

  it("SPF: our MX, the include, -all", () => {
    assert.deepEqual(at(records, "TXT", "example.com"), [
      "v=spf1 mx include:spf.newsletter.example.net -all",
    ]);
    assert.deepEqual(at(records, "TXT", "example.org"), ["v=spf1 mx -all"]);
  });

  it("DKIM: one TXT per published selector, p= is the given key, k= the algorithm", () => {
    assert.deepEqual(at(records, "TXT", "rsa2026a._domainkey.example.com"), [
      `v=DKIM1; k=rsa; p=${rsa}`,
    ]);
    assert.deepEqual(at(records, "TXT", "ed2026a._domainkey.example.com"), [
      `v=DKIM1; k=ed25519; p=${ed}`,
    ]);
    assert.deepEqual(at(records, "TXT", "rsa2026b._domainkey.example.com"), [
      `v=DKIM1; k=rsa; p=${rsa}`,
    ]);
    assert.deepEqual(at(records, "TXT", "org2026a._domainkey.example.org"), [
      `v=DKIM1; k=rsa; p=${rsa}`,
    ]);
    // A 2048-bit key does not fit one character-string: it is split, and joins back.
    const dkim = records.find((r) => r.name === "rsa2026a._domainkey.example.com");
    assert.ok(dkim?.type === "TXT");
    assert.equal(dkim.strings.length, 2);
    assert.equal(dkim.strings.join(""), dkim.value);
    assert.ok(dkim.strings.every((s) => Buffer.byteLength(s) <= 255));
  });

  it("DMARC: p always, sp only when different, strict alignment, rua", () => {
    assert.deepEqual(at(records, "TXT", "_dmarc.example.com"), [
      "v=DMARC1; p=reject; adkim=s; rua=mailto:dmarc-reports@example.com",
    ]);
    assert.deepEqual(at(records, "TXT", "_dmarc.example.org"), [
      "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com",
    ]);
  });

  it("DMARC: example.com authorizes reports about example.org (RFC 7489 §7.1)", () => {
    const auth = records.filter((r) => r.name === "example.org._report._dmarc.example.com");
    assert.deepEqual(at(auth, "TXT", "example.org._report._dmarc.example.com"), ["v=DMARC1"]);
    assert.equal(auth[0]?.zone, "example.com");
  });

  it("MTA-STS: TXT id from the policy, mta-sts name aliased to the host", () => {
    const policy = mtaStsPolicy(config, "example.com");
    assert.equal(
      policy,
      "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 604800\r\n",
    );
    assert.deepEqual(at(records, "TXT", "_mta-sts.example.com"), [
      `v=STSv1; id=${mtaStsPolicyId(policy)}`,
    ]);
    assert.match(mtaStsPolicyId(policy), /^[0-9a-f]{32}$/);
    assert.deepEqual(at(records, "CNAME", "mta-sts.example.com"), ["mail.example.com"]);
    assert.deepEqual(at(records, "CNAME", "mta-sts.example.org"), ["mail.example.com"]);
  });

  it("TLS-RPT", () => {
    assert.deepEqual(at(records, "TXT", "_smtp._tls.example.org"), [
      "v=TLSRPTv1; rua=mailto:tls-reports@example.com",
    ]);
  });

  it("SRV: submission and IMAP on the published ports; POP3 disabled and cleartext get '.'", () => {
    const srv = (label: string) => at(records, "SRV", `${label}.example.org`);
    assert.deepEqual(srv("_submissions._tcp"), ["0 1 465 mail.example.com"]);
    assert.deepEqual(srv("_submission._tcp"), ["0 1 587 mail.example.com"]);
    assert.deepEqual(srv("_imaps._tcp"), ["0 1 993 mail.example.com"]);
    assert.deepEqual(srv("_imap._tcp"), ["0 0 0 ."]);
    assert.deepEqual(srv("_pop3s._tcp"), ["0 0 0 ."]);
    assert.deepEqual(srv("_pop3._tcp"), ["0 0 0 ."]);
  });

  it("autoconfig and autodiscover alias the host", () => {
    assert.deepEqual(at(records, "CNAME", "autoconfig.example.com"), ["mail.example.com"]);
    assert.deepEqual(at(records, "CNAME", "autodiscover.example.org"), ["mail.example.com"]);
  });

  it("CAA: Let's Encrypt only, iodef, at each apex", () => {
    for (const zone of ["example.com", "example.org"]) {
      assert.deepEqual(at(records, "CAA", zone), [
        "0 issue letsencrypt.org",
        "0 iodef mailto:security@example.com",
      ]);
    }
  });

  it("every record has the stack TTL and says why it exists", () => {
    assert.ok(records.every((r) => r.ttl === 3600 && r.comment.length > 0));
  });
});

describe("buildDnsRecords on the dev stack", () => {
  it("publishes loopback A, DMARC p=none, MTA-STS testing, POP3s offered, no CAA", async () => {
    const config = await loadDev();
    const records = build(config);
    assert.deepEqual(at(records, "A", "mail.dev.example.test"), ["127.0.0.1"]);
    assert.deepEqual(at(records, "AAAA", "mail.dev.example.test"), []);
    assert.deepEqual(at(records, "TXT", "_dmarc.dev.example.test"), [
      "v=DMARC1; p=none; rua=mailto:postmaster@dev.example.test",
    ]);
    assert.ok(mtaStsPolicy(config, "dev.example.test").includes("mode: testing\r\n"));
    assert.deepEqual(at(records, "SRV", "_pop3s._tcp.dev.example.test"), [
      "0 1 995 mail.dev.example.test",
    ]);
    assert.deepEqual(at(records, "TXT", "_smtp._tls.dev.example.test"), []);
    assert.equal(records.filter((r) => r.type === "CAA").length, 0);
    assert.ok(records.every((r) => r.ttl === 300));
  });
});

describe("buildDnsRecords on small configs", () => {
  it("all DMARC tags when they differ from the defaults", () => {
    const config = inlineConfig({
      domains: [
        {
          name: "example.com",
          dmarc: {
            policy: "quarantine",
            subdomainPolicy: "none",
            dkimAlignment: "strict",
            spfAlignment: "strict",
            percent: 25,
            rua: ["mailto:a@example.com", "https://reports.example.net/dmarc"],
            ruf: ["mailto:f@example.com"],
          },
        },
      ],
    });
    assert.deepEqual(at(build(config), "TXT", "_dmarc.example.com"), [
      "v=DMARC1; p=quarantine; sp=none; adkim=s; aspf=s; pct=25; rua=mailto:a@example.com,https://reports.example.net/dmarc; ruf=mailto:f@example.com",
    ]);
  });

  it("defaults: DMARC quarantine, MTA-STS testing, no TLS-RPT, no CAA for selfSigned", () => {
    const records = build(inlineConfig());
    assert.deepEqual(at(records, "TXT", "_dmarc.example.com"), ["v=DMARC1; p=quarantine"]);
    assert.deepEqual(at(records, "TXT", "_smtp._tls.example.com"), []);
    assert.deepEqual(at(records, "CAA", "example.com"), []);
    // No addresses configured: no A/AAAA, the MX still names the host.
    assert.deepEqual(at(records, "A", "mail.example.com"), []);
    assert.deepEqual(at(records, "MX", "example.com"), ["10 mail.example.com"]);
  });

  it("a host in no domain of ours gets no A/AAAA; several addresses, deduplicated", () => {
    const outside = inlineConfig({
      hostname: "mx.provider.net",
      addresses: { ipv4: ["192.0.2.1"] },
    });
    assert.equal(build(outside).filter((r) => r.type === "A").length, 0);
    const many = inlineConfig({
      addresses: {
        ipv4: ["192.0.2.1", "192.0.2.2", "192.0.2.1"],
        ipv6: ["2001:DB8:0:0::1", "2001:db8::1"],
      },
    });
    assert.deepEqual(at(build(many), "A", "mail.example.com"), ["192.0.2.1", "192.0.2.2"]);
    assert.deepEqual(at(build(many), "AAAA", "mail.example.com"), ["2001:db8::1"]);
  });

  it("the host goes into the longest domain holding it", () => {
    const config = inlineConfig({
      hostname: "mail.eu.example.com",
      addresses: { ipv4: ["192.0.2.7"] },
      domains: [{ name: "example.com" }, { name: "eu.example.com" }],
    });
    const a = build(config).filter((r) => r.type === "A");
    assert.deepEqual(
      a.map((r) => r.zone),
      ["eu.example.com"],
    );
  });

  it("a host named like an alias gets no CNAME beside its addresses", () => {
    const config = inlineConfig({
      hostname: "autoconfig.example.com",
      addresses: { ipv4: ["192.0.2.1"] },
    });
    const records = build(config);
    assert.deepEqual(at(records, "CNAME", "autoconfig.example.com"), []);
    assert.deepEqual(at(records, "CNAME", "autodiscover.example.com"), ["autoconfig.example.com"]);
  });

  it("nested mail domains whose names clash are refused with CNAME_CONFLICT", () => {
    const config = inlineConfig({
      domains: [{ name: "example.com" }, { name: "autoconfig.example.com" }],
    });
    assert.match(
      codeOf(() => build(config)),
      /^CNAME_CONFLICT: autoconfig\.example\.com: /,
    );
  });

  it("every service disabled: every SRV target is '.'", () => {
    const config = inlineConfig({ services: { imap: false, pop3: false, submission: false } });
    const srv = build(config).filter((r) => r.type === "SRV");
    assert.equal(srv.length, 6);
    assert.ok(srv.every((r) => r.target === "." && r.port === 0 && r.weight === 0));
  });

  it("SRV ports follow docker.ports", () => {
    const config = inlineConfig({ docker: { ports: { submissions: 10465, imaps: 10993 } } });
    const records = build(config);
    assert.deepEqual(at(records, "SRV", "_submissions._tcp.example.com"), [
      "0 1 10465 mail.example.com",
    ]);
    assert.deepEqual(at(records, "SRV", "_imaps._tcp.example.com"), ["0 1 10993 mail.example.com"]);
  });
});
