import assert from "node:assert/strict";
import { test } from "node:test";
import { parseRfc5322Date } from "./date.ts";
import { baseSubject, subjectFacts } from "./subject.ts";

test("RFC 5256 base subject: subject -> base", () => {
  const cases: [string, string][] = [
    ["Hello", "Hello"],
    ["Re: Hello", "Hello"],
    ["RE: re: Fwd: Hello", "Hello"],
    ["Re[2]: Hello", "Hello"],
    ["Re [2]: Hello", "Hello"],
    ["[list] Re: Hello", "Hello"],
    ["Re: [list] Hello", "Hello"],
    ["[list]", "[list]"],
    ["Hello (fwd)", "Hello"],
    ["Hello (fwd) (FWD)  ", "Hello"],
    ["[Fwd: Re: Hello]", "Hello"],
    ["[fwd: [Fwd: Hello] (fwd)]", "Hello"],
    ["  Re:   spaced\t\r\n  out  ", "spaced out"],
    ["fw: Fwd:fwd:  x", "x"],
    ["Reply: not a leader", "Reply: not a leader"],
    ["", ""],
  ];
  for (const [subject, expected] of cases) assert.equal(baseSubject(subject), expected, subject);
});

test("RFC 5256 §2.1: whether a subject is a reply or forward", () => {
  const cases: [string, boolean][] = [
    ["Hello", false],
    ["[list] Hello", false],
    ["Hello  ", false],
    ["Re: Hello", true],
    ["[list] Re: Hello", true],
    ["Hello (fwd)", true],
    ["[Fwd: Hello]", true],
    ["Reply: not a leader", false],
  ];
  for (const [subject, expected] of cases) {
    assert.equal(subjectFacts(subject).isReply, expected, subject);
  }
});

test("RFC 5322 dates, obsolete forms included", () => {
  const cases: [string, number | null, number][] = [
    ["Fri, 21 Nov 1997 09:55:06 -0600", Date.UTC(1997, 10, 21, 15, 55, 6), -360],
    ["21 Nov 97 09:55:06 GMT", Date.UTC(1997, 10, 21, 9, 55, 6), 0],
    ["Thu, 13 Feb 1969 23:32 -0330 (Newfoundland Time)", Date.UTC(1969, 1, 14, 3, 2), -210],
    ["Mon, 7 Feb 2022 21:52:25 PST", Date.UTC(2022, 1, 8, 5, 52, 25), -480],
    ["1 Jan 05 00:00:00 +0000", Date.UTC(2005, 0, 1), 0],
    ["Tuesday, 1-Jul-2003 10:52:37 +0200", Date.UTC(2003, 6, 1, 8, 52, 37), 120],
    ["garbage", null, 0],
    ["32 Foo 2020 10:00:00 +0000", null, 0],
  ];
  for (const [value, time, zone] of cases) {
    const parsed = parseRfc5322Date(value);
    assert.equal(parsed?.time ?? null, time, value);
    if (parsed) assert.equal(parsed.zoneMinutes, zone, value);
  }
  assert.equal(parseRfc5322Date(null), null);
});
