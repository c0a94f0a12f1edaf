import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { atom, encodeValues, literal, str, statusLine } from "./serializer.ts";
import { formatInternalDate, parseDate, parseDateTime } from "./date-time.ts";
import { decodeMailboxName, encodeMailboxName } from "./mailbox-name.ts";
import { formatNumberSet, parseSequenceSetText } from "./sequence-set.ts";

const enc = (values: Parameters<typeof encodeValues>[0], utf8 = false) =>
  encodeValues(values, { utf8 }).toString("utf8");

describe("serializer", () => {
  it("quotes what it can and uses literals for the rest", () => {
    assert.equal(enc([str("plain")]), '"plain"');
    assert.equal(enc([str('a"b\\c')]), '"a\\"b\\\\c"');
    assert.equal(enc([str("two\r\nlines")]), "{10}\r\ntwo\r\nlines");
    assert.equal(enc([str("grüße")]), "{7}\r\ngrüße", "8-bit text for IMAP4rev1 goes as a literal");
    assert.equal(enc([str("grüße")], true), '"grüße"', "UTF-8 is quoted once enabled");
    assert.equal(enc([str(null)]), "NIL");
    assert.equal(enc([literal(Buffer.from("x"))]), "{1}\r\nx");
    assert.equal(enc([literal(Buffer.from("a\0b"), true)]), "~{3}\r\na\0b");
    assert.equal(enc([str("x".repeat(2000))]).slice(0, 7), "{2000}\r");
  });

  it("writes lists, numbers and atoms", () => {
    assert.equal(
      enc([3, atom("FETCH"), [atom("FLAGS"), [atom("\\Seen")], atom("UID"), 7]]),
      "3 FETCH (FLAGS (\\Seen) UID 7)",
    );
    assert.equal(enc([[]]), "()");
    assert.equal(
      statusLine("a", "OK", "READ-WRITE", "done\r\nx").toString(),
      "a OK [READ-WRITE] done x\r\n",
    );
  });

  it("spells mailbox names in modified UTF-7 for IMAP4rev1 and UTF-8 when enabled", () => {
    const rev1 = encodeMailboxName("Entwürfe/台北", false).bytes.toString();
    assert.equal(rev1, "Entw&APw-rfe/&U,BTFw-");
    assert.equal(decodeMailboxName(Buffer.from(rev1), false), "Entwürfe/台北");
    assert.equal(encodeMailboxName("Entwürfe", true).bytes.toString(), "Entwürfe");
    assert.equal(decodeMailboxName(Buffer.from("A&B"), true), "A&B");
    assert.equal(decodeMailboxName(Buffer.from("A&-B"), false), "A&B");
  });
});

describe("dates", () => {
  it("formats INTERNALDATE in its own zone and parses APPEND dates", () => {
    const date = parseDateTime("17-Jul-1996 02:44:25 -0700");
    assert.equal(new Date(date.time).toISOString(), "1996-07-17T09:44:25.000Z");
    assert.equal(formatInternalDate(date), "17-Jul-1996 02:44:25 -0700");
    assert.equal(
      formatInternalDate(parseDateTime(" 1-Jan-2024 00:00:00 +0130")),
      "01-Jan-2024 00:00:00 +0130",
    );
    assert.throws(() => parseDateTime("31-Feb-2024 00:00:00 +0000"));
    assert.deepEqual(parseDate("1-Feb-1994"), { year: 1994, month: 2, day: 1 });
    assert.throws(() => parseDate("1-Foo-1994"));
  });
});

describe("sequence sets", () => {
  it("parses ranges, * and $", () => {
    assert.deepEqual(parseSequenceSetText("1:3,5,*:7"), {
      kind: "ranges",
      ranges: [
        [1, 3],
        [5, 5],
        ["*", 7],
      ],
    });
    assert.deepEqual(parseSequenceSetText("$"), { kind: "saved" });
    for (const bad of ["", "0", "1:", "1,,2", "a", "4294967296", "$,1"]) {
      assert.throws(() => parseSequenceSetText(bad), `${bad} must be refused`);
    }
    assert.equal(formatNumberSet([1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
  });
});
