import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { test, type TestContext } from "node:test";
import type { SearchKey } from "../search-key.ts";
import { message, tempAccount } from "../testing/fixtures.ts";
import type { MailboxView } from "../types.ts";
import { accountPath } from "./database.ts";
import { SqliteMailStore } from "./sqlite-store.ts";

/** Five messages with known headers, flags, dates and sizes. */
async function fixture(t: TestContext): Promise<MailboxView> {
  const { account } = await tempAccount(t);
  const specs = [
    {
      from: "=?utf-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>",
      subject: "Re: Quarterly REPORT",
      date: "Mon, 4 Mar 2024 23:30:00 -0500",
      headers: ["Cc: carol@example.net", "X-Priority: 1"],
      body: "The numbers are in the attachment.",
      flags: ["\\Seen", "$Important"],
      internal: { time: Date.UTC(2024, 2, 5, 4, 30), zoneMinutes: 0 },
    },
    {
      from: "Bob <bob@example.org>",
      subject: "=?iso-8859-1?Q?Gr=FC=DFe?= aus Berlin",
      date: "Tue, 5 Mar 2024 10:00:00 +0100",
      headers: ["Bcc: secret@example.com"],
      body: "Schöne Grüße",
      flags: ["\\Flagged"],
      internal: { time: Date.UTC(2024, 2, 6, 12), zoneMinutes: 60 },
    },
    {
      from: "Carol <carol@example.net>",
      subject: "lunch?",
      date: "Wed, 6 Mar 2024 12:00:00 +0000",
      headers: [],
      body: "x".repeat(5000),
      flags: ["\\Deleted", "\\Seen"],
      internal: { time: Date.UTC(2024, 2, 7, 12), zoneMinutes: 0 },
    },
    {
      from: "Dave <dave@example.com>",
      subject: "no date here",
      date: "not a date",
      headers: ["Content-Type: text/html; charset=utf-8"],
      body: "<p>Caf&eacute; &amp; <b>croissant</b></p>",
      flags: [],
      internal: { time: Date.UTC(2024, 2, 8, 12), zoneMinutes: 0 },
    },
    {
      from: "Erin <erin@example.com>",
      subject: "Base64 body",
      date: "Fri, 8 Mar 2024 12:00:00 +0000",
      headers: ["Content-Transfer-Encoding: base64"],
      body: Buffer.from("a hidden needle in base64").toString("base64"),
      flags: ["$important"],
      internal: { time: Date.UTC(2024, 2, 9, 12), zoneMinutes: 0 },
    },
  ];
  for (const spec of specs) {
    await account.append("INBOX", message(spec), {
      flags: spec.flags,
      internalDate: spec.internal,
    });
  }
  return account.openMailbox("INBOX");
}

const day = (year: number, month: number, d: number) => ({ year, month, day: d });

test("SEARCH keys, one per line: key -> expected UIDs", async (t) => {
  const inbox = await fixture(t);
  const cases: [string, SearchKey[], number[]][] = [
    ["ALL", [{ type: "all" }], [1, 2, 3, 4, 5]],
    ["SEEN", [{ type: "flag", flag: "\\Seen", set: true }], [1, 3]],
    ["UNSEEN", [{ type: "flag", flag: "\\seen", set: false }], [2, 4, 5]],
    ["DELETED", [{ type: "flag", flag: "\\Deleted", set: true }], [3]],
    ["KEYWORD $IMPORTANT (any case)", [{ type: "flag", flag: "$IMPORTANT", set: true }], [1, 5]],
    ["UNKEYWORD $Important", [{ type: "flag", flag: "$Important", set: false }], [2, 3, 4]],
    ["KEYWORD never-used", [{ type: "flag", flag: "Nothing", set: true }], []],
    ["UNKEYWORD never-used", [{ type: "flag", flag: "Nothing", set: false }], [1, 2, 3, 4, 5]],
    [
      "UID 2:3,5",
      [
        {
          type: "uid",
          uids: [
            [2, 3],
            [5, 5],
          ],
        },
      ],
      [2, 3, 5],
    ],
    ["FROM jörg (decoded)", [{ type: "header", field: "FROM", value: "JÖRG" }], [1]],
    ["FROM example.org", [{ type: "header", field: "from", value: "example.org" }], [2]],
    [
      "SUBJECT grüße (ISO-8859-1 word)",
      [{ type: "header", field: "subject", value: "GRÜSSE" }],
      [],
    ],
    ["SUBJECT grüße", [{ type: "header", field: "subject", value: "grüße" }], [2]],
    ["SUBJECT report", [{ type: "header", field: "subject", value: "report" }], [1]],
    ["CC carol", [{ type: "header", field: "cc", value: "carol" }], [1]],
    ["BCC secret", [{ type: "header", field: "bcc", value: "secret" }], [2]],
    ["HEADER X-Priority 1", [{ type: "header", field: "x-priority", value: "1" }], [1]],
    ['HEADER X-Priority "" (has field)', [{ type: "header", field: "X-Priority", value: "" }], [1]],
    ['HEADER Bcc ""', [{ type: "header", field: "bcc", value: "" }], [2]],
    ["BODY attachment", [{ type: "body", value: "ATTACHMENT" }], [1]],
    ["BODY grüße (utf-8 body)", [{ type: "body", value: "grüße" }], [2]],
    ["BODY café (html entity decoded)", [{ type: "body", value: "café & croissant" }], [4]],
    ["BODY needle (base64 decoded)", [{ type: "body", value: "hidden needle" }], [5]],
    ["BODY lunch (not in body)", [{ type: "body", value: "lunch" }], []],
    ["TEXT lunch (in header)", [{ type: "text", value: "lunch" }], [3]],
    ["NOT BODY x", [{ type: "not", key: { type: "body", value: "xxxx" } }], [1, 2, 4, 5]],
    ["LARGER 4000", [{ type: "size", op: "larger", bytes: 4000 }], [3]],
    ["SMALLER 4000", [{ type: "size", op: "smaller", bytes: 4000 }], [1, 2, 4, 5]],
    // INTERNALDATE compares the day in its own zone: 6 Mar 12:00 UTC at +0100 is 6 Mar.
    ["ON 6-Mar-2024", [{ type: "date", field: "internal", op: "on", day: day(2024, 3, 6) }], [2]],
    [
      "BEFORE 7-Mar-2024",
      [{ type: "date", field: "internal", op: "before", day: day(2024, 3, 7) }],
      [1, 2],
    ],
    [
      "SINCE 8-Mar-2024",
      [{ type: "date", field: "internal", op: "since", day: day(2024, 3, 8) }],
      [4, 5],
    ],
    // The Date header's own day: 4 Mar 23:30 -0500 is 4 Mar there (5 Mar in UTC).
    ["SENTON 4-Mar-2024", [{ type: "date", field: "sent", op: "on", day: day(2024, 3, 4) }], [1]],
    [
      "SENTBEFORE 6-Mar-2024",
      [{ type: "date", field: "sent", op: "before", day: day(2024, 3, 6) }],
      [1, 2],
    ],
    [
      "SENTSINCE 6-Mar-2024 (unparsable date never matches)",
      [{ type: "date", field: "sent", op: "since", day: day(2024, 3, 6) }],
      [3, 5],
    ],
    [
      "OR FROM bob FROM carol",
      [
        {
          type: "or",
          left: { type: "header", field: "from", value: "bob" },
          right: { type: "header", field: "from", value: "carol" },
        },
      ],
      [2, 3],
    ],
    [
      "SEEN SMALLER 1000 (implicit AND)",
      [
        { type: "flag", flag: "\\Seen", set: true },
        { type: "size", op: "smaller", bytes: 1000 },
      ],
      [1],
    ],
    ["OLDER 1 (all are old)", [{ type: "age", op: "older", seconds: 1 }], [1, 2, 3, 4, 5]],
    ["YOUNGER 60", [{ type: "age", op: "younger", seconds: 60 }], []],
  ];
  for (const [name, keys, expected] of cases) {
    assert.deepEqual(await inbox.search(keys), expected, name);
  }
});

test("SEARCH MODSEQ and large UID sets", async (t) => {
  const inbox = await fixture(t);
  const stored = await inbox.storeFlags([[4, 4]], "add", ["\\Answered"]);
  const modseq = stored.messages[0]?.modseq ?? 0;
  assert.deepEqual(await inbox.search([{ type: "modseq", modseq }]), [4]);
  const many: [number, number][] = Array.from({ length: 100 }, (_, i) => [i * 2 + 1, i * 2 + 1]);
  assert.deepEqual(await inbox.search([{ type: "uid", uids: many }]), [1, 3, 5]);
  assert.deepEqual(await inbox.search([{ type: "not", key: { type: "uid", uids: many } }]), [2, 4]);
});

test("SORT by each RFC 5256 key, ties in UID order", async (t) => {
  const inbox = await fixture(t);
  const all: SearchKey[] = [{ type: "all" }];
  // Base subjects: "Quarterly REPORT", "Grüße aus Berlin", "lunch?", "no date here", "Base64 body".
  assert.deepEqual(await inbox.sort([{ key: "subject" }], all), [5, 2, 3, 4, 1]);
  assert.deepEqual(await inbox.sort([{ key: "from" }], all), [2, 3, 4, 5, 1]);
  assert.deepEqual(await inbox.sort([{ key: "displayfrom" }], all), [2, 3, 4, 5, 1]);
  assert.deepEqual(await inbox.sort([{ key: "size", reverse: true }], all).then((u) => u[0]), 3);
  assert.deepEqual(await inbox.sort([{ key: "arrival", reverse: true }], all), [5, 4, 3, 2, 1]);
  // Message 4 has no usable Date: its INTERNALDATE (8 Mar) stands in.
  assert.deepEqual(await inbox.sort([{ key: "date" }], all), [1, 2, 3, 4, 5]);
  assert.deepEqual(
    await inbox.sort([{ key: "cc" }, { key: "arrival", reverse: true }], all),
    [5, 4, 3, 2, 1],
  );
  assert.deepEqual(
    await inbox.sort([{ key: "to" }], [{ type: "flag", flag: "\\Seen", set: false }]),
    [2, 4, 5],
  );
});

test("thread facts carry message ids, references and case-folded base subjects", async (t) => {
  const { account } = await tempAccount(t);
  await account.append("INBOX", message({ messageId: "root@x", subject: "Plan" }));
  await account.append(
    "INBOX",
    message({
      messageId: "reply@x",
      subject: "Re: [team] PLAN",
      headers: ["In-Reply-To: <root@x>", "References: <older@x> <root@x>"],
    }),
  );
  const facts = await (await account.openMailbox("INBOX")).threadFacts([{ type: "all" }]);
  assert.deepEqual(
    facts.map((f) => [f.uid, f.messageId, f.references, f.baseSubject, f.isReply]),
    [
      [1, "root@x", [], "plan", false],
      [2, "reply@x", ["older@x", "root@x"], "plan", true],
    ],
  );
});

/** Raw messages from imaptest's search-addresses, sort-addresses and sort-display-to. */
async function rawFixture(t: TestContext, headers: string[]): Promise<MailboxView> {
  const { account } = await tempAccount(t);
  for (const header of headers) {
    await account.append("INBOX", Buffer.from(`${header}\r\nSubject: x\r\n\r\nbody\r\n`));
  }
  return account.openMailbox("INBOX");
}

test("SEARCH FROM finds an address with comments inside it (imaptest search-addresses)", async (t) => {
  const inbox = await rawFixture(t, [
    "From: user-from@domain.org",
    "From: RealFrom <user-from@domain.org>",
    "From: <user-from (comment)@ (comment) domain.org>",
    "From: user-from@domain.org (RealFrom)",
    "From: user-from1@domain.org, user-from2@domain.org",
    "From: =?utf-8?q?J=C3=B6rg?= (the boss) <joerg@example.de>",
  ]);
  const from = (value: string) => inbox.search([{ type: "header", field: "FROM", value }]);
  assert.deepEqual(await from("user-from@domain.org"), [1, 2, 3, 4]);
  assert.deepEqual(await from("realfrom"), [2, 4]);
  assert.deepEqual(await from("comment"), [3], "the header as written still matches");
  assert.deepEqual(await from("jörg"), [6]);
  assert.deepEqual(await from("joerg@example.de"), [6]);
});

test("SORT address keys: a group counts as its name, display names decoded (RFC 5256, RFC 5957)", async (t) => {
  const cc = await rawFixture(t, [
    "Cc: user2@domain2.org (foo bar)",
    "Cc: user2: blah@domain1.org;",
    "Cc: user1@domain1.org",
  ]);
  assert.deepEqual(await cc.sort([{ key: "cc" }], [{ type: "all" }]), [3, 1, 2]);
  assert.deepEqual(await cc.sort([{ key: "cc", reverse: true }], [{ type: "all" }]), [1, 2, 3]);
  const to = await rawFixture(t, [
    "To: foo bar <a@b.c>",
    "To: b@c.d",
    "To: d",
    "To: =?iso-8859-1?q?foo_aar?= <e@f.g>",
    "To: =?iso-8859-1?q?foo_car?= <f@g.h>",
    "To: a: xx@xx.org, yy@yy.org;",
    "To: z: aa@aa.org, bb@bb.org;",
    "To: empty:;",
  ]);
  const all: SearchKey[] = [{ type: "all" }];
  assert.deepEqual(await to.sort([{ key: "displayto" }], all), [6, 2, 3, 8, 4, 1, 5, 7]);
  assert.deepEqual(
    await to.sort([{ key: "displayto", reverse: true }], all),
    [7, 5, 1, 4, 8, 3, 2, 6],
  );
  assert.deepEqual(await to.sort([{ key: "to" }], all), [1, 6, 2, 3, 4, 8, 5, 7]);
});

test("a plain ASCII text/plain body is searched where it is stored, without a second copy", async (t) => {
  const { account, dataDir } = await tempAccount(t);
  const bodies: [string[], string][] = [
    [[], "Plain ASCII with a NEEDLE inside\r\nand a second line"],
    [["Content-Type: text/plain; charset=utf-8"], "Schöne Grüße, needle"],
    [["Content-Type: text/plain; charset=us-ascii"], "no match here"],
    [["Content-Type: text/html"], "<p>html NEEDLE</p>"],
    [["Content-Type: text/plain; charset=utf-16"], "needle"],
    [[], ""],
  ];
  for (const [headers, body] of bodies) {
    await account.append("INBOX", message({ headers, body, subject: "x" }));
  }
  const inbox = await account.openMailbox("INBOX");
  // 5's bytes read as UTF-16 are not "needle": the charset is respected, not bypassed.
  assert.deepEqual(await inbox.search([{ type: "body", value: "Needle" }]), [1, 2, 4]);
  assert.deepEqual(await inbox.search([{ type: "text", value: "second LINE" }]), [1]);
  assert.deepEqual(
    await inbox.search([{ type: "not", key: { type: "body", value: "needle" } }]),
    [3, 5, 6],
  );
  const db = new DatabaseSync(accountPath(dataDir, "alice@example.com"), { readOnly: true });
  t.after(() => db.close());
  const rows = db
    .prepare(
      `SELECT c.body_raw AS raw, b.text IS NOT NULL AS copy FROM messages m
       JOIN contents c ON c.id = m.content_id
       LEFT JOIN body_texts b ON b.content_id = c.id ORDER BY m.uid`,
    )
    .all()
    .map((r) => [r.raw, r.copy]);
  // Plain ASCII bodies (1, 3, 6) keep no body text of their own; the others keep theirs.
  assert.deepEqual(rows, [
    [1, 0],
    [0, 1],
    [1, 0],
    [0, 1],
    [0, 1],
    [1, 0],
  ]);
});

test("a schema 1 database is upgraded on open and its messages stay searchable", async (t) => {
  const { store, dataDir } = await tempAccount(t, "old@example.com");
  const account = await store.openAccount("old@example.com");
  await account.append("INBOX", message({ body: "kept as search text in schema 1" }));
  await account.close();
  await store.close();
  const db = new DatabaseSync(accountPath(dataDir, "old@example.com"));
  db.exec(`DROP INDEX contents_blob; ALTER TABLE contents DROP COLUMN blob;
    DROP TABLE released_blobs; ALTER TABLE contents DROP COLUMN body_raw; PRAGMA user_version = 1`);
  // Schema 1 kept every body's search text.
  db.prepare(
    "INSERT INTO body_texts (content_id, text) SELECT id, 'kept as search text' FROM contents",
  ).run();
  db.close();
  const again = new SqliteMailStore({ dataDir });
  t.after(() => again.close());
  const upgraded = await again.openAccount("old@example.com");
  await upgraded.append("INBOX", message({ body: "new plain body with search text" }));
  const inbox = await upgraded.openMailbox("INBOX");
  assert.deepEqual(await inbox.search([{ type: "body", value: "search text" }]), [1, 2]);
  assert.deepEqual(await inbox.search([{ type: "body", value: "plain body" }]), [2]);
});
