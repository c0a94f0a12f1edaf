import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAddressList } from "./address.ts";

type Row = [string | null, string | null, string | null, string | null];

test("address lists become IMAP envelope addresses: header -> (name adl mailbox host)", () => {
  const cases: [string, Row[] | null][] = [
    ["alice@example.com", [[null, null, "alice", "example.com"]]],
    ["Alice Liddell <alice@example.com>", [["Alice Liddell", null, "alice", "example.com"]]],
    ['"Liddell, Alice" <alice@example.com>', [["Liddell, Alice", null, "alice", "example.com"]]],
    ['"quoted \\"name\\"" <a@b>', [['quoted "name"', null, "a", "b"]]],
    ["alice@example.com (Alice Liddell)", [["Alice Liddell", null, "alice", "example.com"]]],
    ["=?utf-8?Q?J=C3=B6rg?= <j@x.de>", [["=?utf-8?Q?J=C3=B6rg?=", null, "j", "x.de"]]],
    ["John Q. Public <jqp@x.org>", [["John Q. Public", null, "jqp", "x.org"]]],
    ["<@relay1,@relay2:user@host>", [[null, "@relay1,@relay2", "user", "host"]]],
    ['"first last"@example.com', [[null, null, '"first last"', "example.com"]]],
    ["user@[192.0.2.1]", [[null, null, "user", "[192.0.2.1]"]]],
    [
      "a@x, B <b@y>,, c@z",
      [
        [null, null, "a", "x"],
        ["B", null, "b", "y"],
        [null, null, "c", "z"],
      ],
    ],
    [
      "Team: a@x, B <b@y>; c@z",
      [
        [null, null, "Team", null],
        [null, null, "a", "x"],
        ["B", null, "b", "y"],
        [null, null, null, null],
        [null, null, "c", "z"],
      ],
    ],
    [
      "undisclosed-recipients:;",
      [
        [null, null, "undisclosed-recipients", null],
        [null, null, null, null],
      ],
    ],
    [
      "Unterminated: a@x",
      [
        [null, null, "Unterminated", null],
        [null, null, "a", "x"],
        [null, null, null, null],
      ],
    ],
    ["no-at-sign", [[null, null, "no-at-sign", ""]]],
    ["", null],
    ["   ", null],
    ["Jörg <jörg@bücher.example>", [["Jörg", null, "jörg", "bücher.example"]]],
  ];
  for (const [header, expected] of cases) {
    // Headers reach the parser as binary strings (UTF-8 bytes as Latin-1 chars).
    const binary = Buffer.from(header, "utf8").toString("latin1");
    const parsed = parseAddressList(binary);
    assert.deepEqual(
      parsed?.map((a) => [a.name, a.adl, a.mailbox, a.host]) ?? null,
      expected,
      header,
    );
  }
  assert.equal(parseAddressList(null), null);
});
