import { after, before, describe, it } from "node:test";
import { createEnv, loggedIn, message, seed, type TestEnv } from "../testing/harness.ts";

const MULTIPART = [
  'From: "Bob Example" <bob@example.org>',
  'To: alice@example.test, "Carol" <carol@example.test>',
  "Cc: undisclosed-recipients:;",
  "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=",
  "Date: Mon, 7 Feb 2022 21:52:25 -0800",
  "Message-ID: <m1@example.org>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="b1"',
  "",
  "preamble",
  "--b1",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "Gr=C3=BC=C3=9Fe",
  "--b1",
  'Content-Type: application/octet-stream; name="a.bin"',
  'Content-Disposition: attachment; filename="a.bin"',
  "Content-Transfer-Encoding: base64",
  "",
  "AAECAw==",
  "--b1--",
  "",
].join("\r\n");

const PLAIN = message({ subject: "Plain", messageId: "p1@example.org", body: "Hello Alice." });

describe("FETCH and UID FETCH", () => {
  let env: TestEnv;
  let size: number;
  before(async () => {
    env = await createEnv();
    const raw = Buffer.from(MULTIPART);
    size = raw.length;
    await seed(env, "alice", "INBOX", [
      { raw, date: new Date("2022-02-08T05:52:25Z") },
      { raw: PLAIN, flags: ["\\Seen"] },
    ]);
  });
  after(() => env.close());

  it("fetches ENVELOPE, BODYSTRUCTURE, BODY, sizes and dates from the stored structure", async (t) => {
    const c = await loggedIn(t, env, "alice");
    await c.command("e EXAMINE INBOX");
    await c.run(`
      C: a FETCH 1 (UID RFC822.SIZE INTERNALDATE FLAGS)
      S: * 1 FETCH (UID 1 RFC822.SIZE ${size} INTERNALDATE "08-Feb-2022 05:52:25 +0000" FLAGS ())
      S: a OK FETCH completed
      C: b FETCH 1 ENVELOPE
      S: * 1 FETCH (ENVELOPE ("Mon, 7 Feb 2022 21:52:25 -0800" "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=" (("Bob Example" NIL "bob" "example.org")) (("Bob Example" NIL "bob" "example.org")) (("Bob Example" NIL "bob" "example.org")) ((NIL NIL "alice" "example.test")("Carol" NIL "carol" "example.test")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL "<m1@example.org>"))
      S: b OK FETCH completed
      C: c FETCH 1 BODYSTRUCTURE
      S: * 1 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 15 1 NIL NIL NIL NIL)("application" "octet-stream" ("name" "a.bin") NIL NIL "base64" 8 NIL ("attachment" ("filename" "a.bin")) NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL))
      S: c OK FETCH completed
      C: d FETCH 1 BODY
      S: * 1 FETCH (BODY (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 15 1)("application" "octet-stream" ("name" "a.bin") NIL NIL "base64" 8) "mixed"))
      S: d OK FETCH completed
      C: e FETCH 2 BODYSTRUCTURE
      S: * 2 FETCH (BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 1 NIL NIL NIL NIL))
      S: e OK FETCH completed
      C: f FETCH 2 FAST
      S: * 2 FETCH (FLAGS (\\Seen) INTERNALDATE "..." RFC822.SIZE ${PLAIN.length})
      S: f OK FETCH completed
    `);
  });

  it("fetches sections, partials and header fields; BODY.PEEK leaves \\Seen alone", async (t) => {
    const c = await loggedIn(t, env, "alice", "INBOX");
    await c.run(`
      C: a FETCH 1 (BODY.PEEK[1] BODY.PEEK[2.MIME])
      S: * 1 FETCH (BODY[1] {15}
      S: Gr=C3=BC=C3=9Fe BODY[2.MIME] {142}
      S: Content-Type: application/octet-stream; name="a.bin"
      S: Content-Disposition: attachment; filename="a.bin"
      S: Content-Transfer-Encoding: base64
      S: 
      S: )
      S: a OK FETCH completed
      C: b FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject message-id)] BODY.PEEK[TEXT]<0.8>)
      S: * 1 FETCH (BODY[HEADER.FIELDS (Subject message-id)] {70}
      S: Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=
      S: Message-ID: <m1@example.org>
      S: 
      S:  BODY[TEXT]<0> {8}
      S: preamble)
      S: b OK FETCH completed
      C: c FETCH 1 (BODY.PEEK[]<5.7> BODY.PEEK[3] BODY.PEEK[HEADER.FIELDS.NOT (To Cc From Date Subject Message-ID Content-Type)])
      S: * 1 FETCH (BODY[]<5> {7}
      S:  "Bob E BODY[3] {0}
      S:  BODY[HEADER.FIELDS.NOT (To Cc From Date Subject Message-ID Content-Type)] {21}
      S: MIME-Version: 1.0
      S: 
      S: )
      S: c OK FETCH completed
      C: d FETCH 1 FLAGS
      S: * 1 FETCH (FLAGS (\\Recent))
      S: d OK FETCH completed
      C: e FETCH 1 BODY[1]
      S: * 1 FETCH (BODY[1] {15}
      S: Gr=C3=BC=C3=9Fe FLAGS (\\Seen \\Recent))
      S: e OK FETCH completed
      C: f UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)
      S: * OK [HIGHESTMODSEQ ...] Highest
      S: * 1 FETCH (UID 1 FLAGS (\\Seen \\Recent) MODSEQ (...))
      S: * 2 FETCH (UID 2 FLAGS (\\Seen \\Recent) MODSEQ (...))
      S: f OK UID FETCH completed
    `);
  });

  it("decodes BINARY parts and reports BINARY.SIZE", async (t) => {
    const c = await loggedIn(t, env, "alice");
    await c.command("e EXAMINE INBOX");
    c.write("a FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[2] BINARY.PEEK[2])\r\n");
    await c.run(
      `
      S: * 1 FETCH (BINARY[1] {7}
      S: Grüße BINARY.SIZE[2] 4 BINARY[2] ~{4}
    `,
      { rest: "any" },
    );
    const rest = await c.output.take(4);
    if (rest !== "\0\x01\x02\x03") throw new Error(`binary part: ${JSON.stringify(rest)}`);
    await c.run(`
      S: )
      S: a OK FETCH completed
      C: b FETCH 3 FLAGS
      S: b BAD Invalid message sequence number
      C: c FETCH 1 (BODY[4.BOGUS])
      S: c BAD Invalid section
      C: d FETCH 1 (FLAGS BODY[]<0.0>)
      S: d BAD Partial length must be above zero
      C: e FETCH 1 NOTHING
      S: e BAD Unknown FETCH item NOTHING
      C: f UID FETCH 5:7 FLAGS
      S: f OK UID FETCH completed
      C: g FETCH 1 RFC822.HEADER
      S: * 1 FETCH (RFC822.HEADER {${MULTIPART.indexOf("\r\n\r\n") + 4}}
      S: From: "Bob Example" <bob@example.org>
      S: To: alice@example.test, "Carol" <carol@example.test>
      S: Cc: undisclosed-recipients:;
      S: Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=
      S: Date: Mon, 7 Feb 2022 21:52:25 -0800
      S: Message-ID: <m1@example.org>
      S: MIME-Version: 1.0
      S: Content-Type: multipart/mixed; boundary="b1"
      S: 
      S: )
      S: g OK FETCH completed
    `);
  });
});
