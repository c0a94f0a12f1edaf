/**
 * Header sanity, the Received chain and HELO, one line per case: the message (or HELO) and the
 * symbol expected, or "-" for none of this analyzer's symbols.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyze, message } from "../testing/harness.ts";

const HEADER_SYMBOLS = [
  "MISSING_DATE", "INVALID_DATE", "DATE_IN_FUTURE", "MISSING_MESSAGE_ID", "INVALID_MESSAGE_ID",
  "MISSING_FROM", "FROM_NAME_HAS_ADDRESS", "REPLY_TO_MISMATCH", "RECEIVED_FORGED_HOP",
  "RECEIVED_DATE_DISORDER", "HELO_BARE_IP", "HELO_NOT_FQDN", "HELO_NO_RESOLVE",
]; // prettier-ignore

async function headerSymbols(raw: string, helo = "mail.example.org", zone = {}): Promise<string[]> {
  const result = await analyze(raw, { helo }, { "A mail.example.org": ["192.0.2.10"], ...zone });
  return [...result.hits.keys()].filter((k) => HEADER_SYMBOLS.includes(k)).sort();
}

const h = (headers: Record<string, string | undefined>): string => message({ headers });

describe("header sanity", () => {
  const cases: [string, string, string][] = [
    ["a well-formed message", h({}), "-"],
    ["no Date", h({ Date: undefined }), "MISSING_DATE"],
    [
      "Date without a zone sign (bulk mailer habit)",
      h({ Date: "Fri, 02 Aug 2002 23:37:59 0530" }),
      "INVALID_DATE",
    ],
    ["Date that is not a date", h({ Date: "yesterday" }), "INVALID_DATE"],
    [
      "Date with an obsolete zone name (RFC 5322 §4.3)",
      h({ Date: "Tue, 4 Mar 2025 10:00:00 EST" }),
      "-",
    ],
    ["Date a year ahead", h({ Date: "Tue, 04 Mar 2098 10:00:00 +0000" }), "DATE_IN_FUTURE"],
    ["no Message-ID", h({ "Message-ID": undefined }), "MISSING_MESSAGE_ID"],
    ["Message-ID without @", h({ "Message-ID": "<1234567>" }), "INVALID_MESSAGE_ID"],
    ["Message-ID without brackets", h({ "Message-ID": "abc@example.org" }), "INVALID_MESSAGE_ID"],
    ["no From", h({ From: undefined }), "MISSING_FROM"],
    [
      "display name showing another address",
      h({ From: '"service@bank.example" <x@phish.example>' }),
      "FROM_NAME_HAS_ADDRESS",
    ],
    [
      "display name showing the real address",
      h({ From: '"sender@example.org" <sender@example.org>' }),
      "-",
    ],
    [
      "Reply-To to another domain",
      h({ "Reply-To": "claims@freemail.example" }),
      "REPLY_TO_MISMATCH",
    ],
    ["Reply-To to a subdomain of From's", h({ "Reply-To": "x@lists.example.org" }), "-"],
    [
      "Reply-To elsewhere on a mailing list (List-Id)",
      h({ "Reply-To": "list@lists.other.example", "List-Id": "<l.other.example>" }),
      "-",
    ],
  ];
  for (const [name, raw, expected] of cases) {
    it(`${name} -> ${expected}`, async () => {
      assert.deepEqual(await headerSymbols(raw), expected === "-" ? [] : [expected]);
    });
  }
});

describe("Received chain", () => {
  const ours =
    "from mail.example.org ([192.0.2.10]) by mx.example.com (mailstack mta) with ESMTP id 1; Tue, 04 Mar 2025 10:00:05 +0000";
  const withReceived = (...lines: string[]): string =>
    lines.map((l) => `Received: ${l}\r\n`).join("") + message();
  const cases: [string, string, string][] = [
    ["our own line on top", withReceived(ours), "-"],
    [
      "a forged line claiming our host below ours",
      withReceived(ours, "from x by mx.example.com with SMTP; Tue, 04 Mar 2025 09:00:00 +0000"),
      "RECEIVED_FORGED_HOP",
    ],
    [
      "dates in order, newest on top",
      withReceived(
        ours,
        "from a by mail.example.org; Tue, 04 Mar 2025 09:59:00 +0000",
        "from b by a; Tue, 04 Mar 2025 09:58:00 +0000",
      ),
      "-",
    ],
    [
      "a lower hop dated days after the upper ones",
      withReceived(
        ours,
        "from a by mail.example.org; Tue, 04 Mar 2025 09:59:00 +0000",
        "from b by a; Sat, 08 Mar 2025 09:58:00 +0000",
      ),
      "RECEIVED_DATE_DISORDER",
    ],
    [
      "clock skew of minutes",
      withReceived(ours, "from a by mail.example.org; Tue, 04 Mar 2025 10:09:00 +0000"),
      "-",
    ],
  ];
  for (const [name, raw, expected] of cases) {
    it(`${name} -> ${expected}`, async () => {
      assert.deepEqual(await headerSymbols(raw), expected === "-" ? [] : [expected]);
    });
  }
});

describe("HELO", () => {
  const cases: [string, string][] = [
    ["mail.example.org", "-"],
    ["[192.0.2.10]", "-"],
    ["[IPv6:2001:db8::1]", "-"],
    ["192.0.2.10", "HELO_BARE_IP"],
    ["2001:db8::1", "HELO_BARE_IP"],
    ["localhost", "HELO_NOT_FQDN"],
    ["nonexistent.example.org", "HELO_NO_RESOLVE"],
  ];
  for (const [helo, expected] of cases) {
    it(`HELO ${helo} -> ${expected}`, async () => {
      assert.deepEqual(await headerSymbols(message(), helo), expected === "-" ? [] : [expected]);
    });
  }

  it("a name whose lookup fails for now (SERVFAIL) is not called nonexistent", async () => {
    assert.deepEqual(
      await headerSymbols(message(), "flaky.example.org", { "ANY flaky.example.org": "ESERVFAIL" }),
      [],
    );
  });

  it("a name with only an AAAA record resolves", async () => {
    assert.deepEqual(
      await headerSymbols(message(), "v6.example.org", { "AAAA v6.example.org": ["2001:db8::25"] }),
      [],
    );
  });

  it("a trusted client's HELO is not judged", async () => {
    const r = await analyze(
      message(),
      { helo: "localhost", clientAddress: "127.0.0.1" },
      {},
      { trustedNetworks: ["127.0.0.0/8"] },
    );
    assert.ok(!r.hits.has("HELO_NOT_FQDN"));
  });
});
