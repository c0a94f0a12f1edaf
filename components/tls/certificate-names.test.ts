import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { certificateNames, MAX_CERTIFICATE_NAMES, subjectCommonName } from "./certificate-names.ts";

describe("certificateNames", () => {
  it("is the host name, then mta-sts, autoconfig and autodiscover of each domain, in order", () => {
    assert.deepEqual(certificateNames("mail.example.com", ["example.com", "example.org"]), [
      "mail.example.com",
      "mta-sts.example.com",
      "autoconfig.example.com",
      "autodiscover.example.com",
      "mta-sts.example.org",
      "autoconfig.example.org",
      "autodiscover.example.org",
    ]);
  });

  it("is the host name alone without domains", () => {
    assert.deepEqual(certificateNames("mail.example.com", []), ["mail.example.com"]);
  });

  it("lower-cases, drops trailing dots and lists each name once", () => {
    assert.deepEqual(certificateNames("Mail.Example.COM.", ["example.com", "EXAMPLE.com."]), [
      "mail.example.com",
      "mta-sts.example.com",
      "autoconfig.example.com",
      "autodiscover.example.com",
    ]);
  });

  it("keeps a host name that is itself one of the derived names once", () => {
    assert.deepEqual(certificateNames("mta-sts.example.com", ["example.com"]), [
      "mta-sts.example.com",
      "autoconfig.example.com",
      "autodiscover.example.com",
    ]);
  });

  it("refuses more names than an ACME CA accepts", () => {
    const domains = Array.from({ length: 34 }, (_, i) => `d${i}.example`);
    assert.equal(certificateNames("mail.example", domains.slice(0, 33)).length, 100);
    assert.throws(() => certificateNames("mail.example", domains), /at most 100/);
  });

  it("refuses names DNS cannot carry", () => {
    assert.throws(() => certificateNames("", []), /cannot be empty/);
    assert.throws(() => certificateNames("mail..example.com", []), /empty label/);
    const longDomain = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(60)}`;
    assert.throws(() => certificateNames("mail.example.com", [longDomain]), /longer than 253/);
  });

  it("property: unique, host first, three names a domain, every name valid DNS", () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
    const domain = fc.array(label, { minLength: 2, maxLength: 4 }).map((l) => l.join("."));
    fc.assert(
      fc.property(domain, fc.uniqueArray(domain, { maxLength: 33 }), (host, domains) => {
        const names = certificateNames(host, domains);
        assert.equal(names[0], host);
        assert.equal(new Set(names).size, names.length);
        for (const d of domains) {
          assert.ok(names.includes(`mta-sts.${d}`) && names.includes(`autodiscover.${d}`));
        }
        assert.ok(names.length <= 1 + 3 * domains.length);
        assert.ok(names.length <= MAX_CERTIFICATE_NAMES);
        for (const name of names) {
          assert.ok(name.length <= 253);
          assert.ok(name.split(".").every((l) => l.length >= 1 && l.length <= 63));
        }
      }),
    );
  });
});

describe("subjectCommonName", () => {
  it("is the name up to 64 characters and nothing beyond (RFC 5280 ub-common-name)", () => {
    assert.equal(subjectCommonName("mail.example.com"), "mail.example.com");
    assert.equal(subjectCommonName(`${"a".repeat(60)}.com`), `${"a".repeat(60)}.com`);
    assert.equal(subjectCommonName(`${"a".repeat(61)}.com`), undefined);
  });
});
