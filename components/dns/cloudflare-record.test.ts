import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CLOUDFLARE_COMMENT_MAX,
  cloudflareRecordArgs,
  cloudflareResourceName,
} from "./cloudflare-record.ts";
import { DnsRecordsError } from "./errors.ts";
import { checkRecords } from "./records.ts";
import { txtRecord } from "./txt.ts";
import type { DnsRecord } from "./types.ts";

const base = { zone: "example.com", ttl: 3600, comment: "why" } as const;

describe("Cloudflare record arguments", () => {
  it("maps each kind to content, priority or data, never proxied", () => {
    const cases: [DnsRecord, object][] = [
      [
        { ...base, name: "mail.example.com", type: "AAAA", address: "2001:db8::1" },
        { content: "2001:db8::1" },
      ],
      [
        { ...base, name: "example.com", type: "MX", priority: 10, target: "mail.example.com" },
        { content: "mail.example.com", priority: 10 },
      ],
      [
        txtRecord({ ...base, name: "example.com" }, "v=spf1 mx -all"),
        { content: '"v=spf1 mx -all"' },
      ],
      [
        {
          ...base,
          name: "_imaps._tcp.example.com",
          type: "SRV",
          priority: 0,
          weight: 1,
          port: 993,
          target: "mail.example.com",
        },
        { priority: 0, data: { priority: 0, weight: 1, port: 993, target: "mail.example.com" } },
      ],
      [
        {
          ...base,
          name: "example.com",
          type: "CAA",
          flags: 0,
          tag: "issue",
          value: "letsencrypt.org",
        },
        { data: { flags: 0, tag: "issue", value: "letsencrypt.org" } },
      ],
    ];
    for (const [record, expected] of cases) {
      assert.deepEqual(cloudflareRecordArgs(record), {
        type: record.type,
        name: record.name,
        ttl: 3600,
        comment: "why",
        proxied: false,
        ...expected,
      });
    }
  });

  it("splits long TXT content into quoted strings", () => {
    const record = txtRecord({ ...base, name: "k._domainkey.example.com" }, "x".repeat(300));
    assert.equal(cloudflareRecordArgs(record).content, `"${"x".repeat(255)}" "${"x".repeat(45)}"`);
  });

  it("shortens comments to Cloudflare's limit and refuses TTLs it does not take", () => {
    const long = {
      ...base,
      comment: "c".repeat(300),
      name: "example.com",
      type: "A",
      address: "192.0.2.1",
    } as const;
    assert.equal(cloudflareRecordArgs(long).comment.length, CLOUDFLARE_COMMENT_MAX);
    assert.equal(cloudflareRecordArgs({ ...long, ttl: 1 }).ttl, 1);
    assert.throws(
      () => cloudflareRecordArgs({ ...long, ttl: 10 }),
      (error: unknown) => error instanceof DnsRecordsError && error.code === "CLOUDFLARE_TTL",
    );
  });

  it("names resources stably and URN-safely", () => {
    const a: DnsRecord = {
      ...base,
      name: "mail.example.com",
      type: "AAAA",
      address: "2001:db8::25",
    };
    assert.equal(cloudflareResourceName("dns", a), "dns-example.com-aaaa-mail-2001-db8--25");
    const apex = txtRecord({ ...base, name: "example.com" }, "v=spf1 -all");
    assert.equal(cloudflareResourceName("dns", apex), "dns-example.com-txt-@");
    const none: DnsRecord = {
      ...base,
      name: "example.com",
      type: "CAA",
      flags: 0,
      tag: "issue",
      value: ";",
    };
    assert.equal(cloudflareResourceName("dns", none), "dns-example.com-caa-@-issue-none");
  });
});

describe("checkRecords", () => {
  const a: DnsRecord = { ...base, name: "mail.example.com", type: "A", address: "192.0.2.1" };
  const code = (records: DnsRecord[]): string | undefined => {
    try {
      checkRecords(records);
      return undefined;
    } catch (error) {
      assert.ok(error instanceof DnsRecordsError);
      return error.code;
    }
  };

  it("refuses duplicates, records outside their zone, bad names and CNAME clashes", () => {
    assert.equal(code([a, { ...a, address: "192.0.2.2" }]), undefined);
    assert.equal(code([a, { ...a, comment: "again" }]), "DUPLICATE_RECORD");
    assert.equal(code([{ ...a, name: "mail.example.org" }]), "OUTSIDE_ZONE");
    assert.equal(code([{ ...a, name: "mail_host.example.com" }]), "NAME_INVALID");
    assert.equal(
      code([a, { ...base, name: "mail.example.com", type: "CNAME", target: "x.example.net" }]),
      "CNAME_CONFLICT",
    );
    assert.equal(
      code([{ ...base, name: "example.com", type: "MX", priority: 10, target: "-bad.example" }]),
      "NAME_INVALID",
    );
  });
});
