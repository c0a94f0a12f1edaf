import { after, before, describe, it } from "node:test";
import { createEnv, loggedIn, message, seed, type TestEnv } from "../testing/harness.ts";

describe("SEARCH, ESEARCH, SEARCHRES", () => {
  let env: TestEnv;
  before(async () => {
    env = await createEnv();
    await seed(env, "alice", "INBOX", [
      {
        raw: message({
          from: "Bob <bob@example.org>",
          subject: "Lunch plans",
          date: "Mon, 7 Feb 2022 10:00:00 +0000",
          body: "Pizza?",
        }),
        flags: ["\\Seen"],
        date: new Date("2022-02-07T10:00:00Z"),
      },
      {
        raw: message({
          from: "Carol <carol@example.org>",
          subject: "Grüße aus Köln",
          date: "Tue, 8 Feb 2022 10:00:00 +0000",
          headers: ["X-Priority: 1"],
          body: "Hallo!",
        }),
        flags: ["\\Flagged", "$Work"],
        date: new Date("2022-02-08T10:00:00Z"),
      },
      {
        raw: message({
          from: "Bob <bob@example.org>",
          subject: "Re: Lunch plans",
          date: "Wed, 9 Feb 2022 10:00:00 +0000",
          body: "Yes, pizza " + "x".repeat(3000),
        }),
        flags: ["\\Deleted"],
        date: new Date("2022-02-09T10:00:00Z"),
      },
    ]);
  });
  after(() => env.close());

  it("searches flags, headers, bodies, dates, sizes, sets and boolean combinations", async (t) => {
    const c = await loggedIn(t, env, "alice");
    await c.command("e EXAMINE INBOX");
    await c.run(`
      C: a SEARCH ALL
      S: * SEARCH 1 2 3
      S: a OK SEARCH completed
      C: b SEARCH FROM bob UNDELETED
      S: * SEARCH 1
      S: b OK SEARCH completed
      C: c SEARCH CHARSET UTF-8 SUBJECT "grüße"
      S: * SEARCH 2
      S: c OK SEARCH completed
      C: d SEARCH CHARSET KOI8-R ALL
      S: d NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset
      C: e SEARCH OR SEEN FLAGGED NOT DELETED
      S: * SEARCH 1 2
      S: e OK SEARCH completed
      C: f SEARCH BODY pizza LARGER 1000
      S: * SEARCH 3
      S: f OK SEARCH completed
      C: g SEARCH SINCE 8-Feb-2022 BEFORE 9-Feb-2022
      S: * SEARCH 2
      S: g OK SEARCH completed
      C: h SEARCH SENTON "9-Feb-2022"
      S: * SEARCH 3
      S: h OK SEARCH completed
      C: i SEARCH HEADER X-Priority 1 KEYWORD $Work
      S: * SEARCH 2
      S: i OK SEARCH completed
      C: j UID SEARCH 2:* UNKEYWORD $Work
      S: * SEARCH 3
      S: j OK UID SEARCH completed
      C: k SEARCH (TEXT hallo) (SMALLER 1000)
      S: * SEARCH 2
      S: k OK SEARCH completed
      C: l SEARCH 5:9
      S: * SEARCH
      S: l OK SEARCH completed
      C: m SEARCH BOGUS
      S: m BAD Unknown search key BOGUS
      C: n SEARCH FROM
      S: n BAD Missing search key argument
      C: o SEARCH NEW
      S: * SEARCH
      S: o OK SEARCH completed
      C: p SEARCH OLD YOUNGER 999999999
      S: * SEARCH 1 2 3
      S: p OK SEARCH completed
    `);
  });

  it("finds addresses whose header hides them behind comments (imaptest search-addresses)", async (t) => {
    const raw = (from: string) => Buffer.from(`From: ${from}\r\nSubject: x\r\n\r\nbody\r\n`);
    await seed(env, "grace", "INBOX", [
      raw("user-from@domain.org"),
      raw("<user-from (comment)@ (comment) domain.org>"),
      raw("user-from@domain.org (RealFrom)"),
      raw("other@domain.org"),
    ]);
    const c = await loggedIn(t, env, "grace", "INBOX");
    await c.run(`
      C: a SEARCH FROM user-from@domain.org
      S: * SEARCH 1 2 3
      S: a OK SEARCH completed
      C: b SEARCH FROM realfrom
      S: * SEARCH 3
      S: b OK SEARCH completed
    `);
  });

  it("answers ESEARCH for RETURN options and IMAP4rev2, saves results for $", async (t) => {
    const c = await loggedIn(t, env, "alice");
    await c.command("e EXAMINE INBOX");
    await c.run(`
      C: a SEARCH RETURN (MIN MAX COUNT) FROM bob
      S: * ESEARCH (TAG "a") MIN 1 MAX 3 COUNT 2
      S: a OK SEARCH completed
      C: b UID SEARCH RETURN () ALL
      S: * ESEARCH (TAG "b") UID ALL 1:3
      S: b OK UID SEARCH completed
      C: c SEARCH RETURN (COUNT ALL) SUBJECT nothing-matches
      S: * ESEARCH (TAG "c") COUNT 0
      S: c OK SEARCH completed
      C: d SEARCH RETURN (SAVE) FROM bob
      S: d OK SEARCH completed
      C: e FETCH $ (UID)
      S: * 1 FETCH (UID 1)
      S: * 3 FETCH (UID 3)
      S: e OK FETCH completed
      C: f SEARCH RETURN (SAVE MIN) FROM bob
      S: * ESEARCH (TAG "f") MIN 1
      S: f OK SEARCH completed
      C: g UID SEARCH UID $
      S: * SEARCH 1
      S: g OK UID SEARCH completed
      C: h SEARCH RETURN (BOGUS) ALL
      S: h BAD Unknown result option BOGUS
      C: i SEARCH MODSEQ 1
      S: * OK [HIGHESTMODSEQ ...] Highest
      S: * SEARCH 1 2 3 (MODSEQ ...)
      S: i OK SEARCH completed
    `);
    // RFC 4731/7162 (imaptest esearch-condstore): MODSEQ is that of the messages reported.
    const modseqs = (await c.command("j FETCH 1:3 MODSEQ")).join(" ");
    const [m1, , m3] = [...modseqs.matchAll(/MODSEQ \((\d+)\)/g)].map((m) => m[1]);
    await c.run(`
      C: k SEARCH RETURN (MIN) MODSEQ 1
      S: * ESEARCH (TAG "k") MIN 1 MODSEQ ${m1}
      S: k OK SEARCH completed
      C: l SEARCH RETURN (MAX) MODSEQ 1
      S: * ESEARCH (TAG "l") MAX 3 MODSEQ ${m3}
      S: l OK SEARCH completed
    `);
    const d = await loggedIn(t, env, "alice");
    await d.command("v ENABLE IMAP4rev2");
    await d.command("e EXAMINE INBOX");
    await d.run(`
      C: a SEARCH SEEN
      S: * ESEARCH (TAG "a") ALL 1
      S: a OK SEARCH completed
    `);
  });
});
