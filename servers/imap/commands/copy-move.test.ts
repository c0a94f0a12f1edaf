import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createLogger } from "../../shared/log.ts";
import { httpSpamLearner } from "../spam-learn.ts";
import { createEnv, loggedIn, message, seed, type TestEnv } from "../testing/harness.ts";

describe("COPY, MOVE, EXPUNGE, APPEND", () => {
  let env: TestEnv;
  let spamServer: Server;
  const learned: { user: string; verdict: string; raw: string }[] = [];
  before(async () => {
    spamServer = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        const parsed = JSON.parse(body) as { user: string; verdict: string; raw: string };
        if (req.url === "/learn")
          learned.push({ ...parsed, raw: Buffer.from(parsed.raw, "base64").toString() });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => spamServer.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(spamServer.address() as AddressInfo).port}`;
    env = await createEnv({
      spam: httpSpamLearner({ url, log: createLogger("spam", { level: "silent" }) }),
    });
  });
  after(async () => {
    await env.close();
    spamServer.close();
  });

  it("copies with COPYUID and TRYCREATE; expunges with EXPUNGE and UID EXPUNGE", async (t) => {
    await seed(env, "alice", "INBOX", [message(), message(), message(), message()]);
    const c = await loggedIn(t, env, "alice", "INBOX");
    const archive = await c.command("x STATUS Archive (UIDVALIDITY)");
    const validity = /UIDVALIDITY (\d+)/.exec(archive.join())?.[1];
    await c.run(`
      C: a COPY 2:3 Archive
      S: a OK [COPYUID ${validity} 2:3 1:2] COPY completed
      C: b COPY 1 Nowhere
      S: b NO [TRYCREATE] Mailbox does not exist
      C: c STORE 1:3 +FLAGS.SILENT (\\Deleted)
      S: c OK STORE completed
      C: d UID EXPUNGE 2:3
      S: * 3 EXPUNGE
      S: * 2 EXPUNGE
      S: d OK UID EXPUNGE completed
      C: e EXPUNGE
      S: * 1 EXPUNGE
      S: e OK EXPUNGE completed
      C: f FETCH 1:* UID
      S: * 1 FETCH (UID 4)
      S: f OK FETCH completed
    `);
  });

  it("moves with COPYUID and EXPUNGE (VANISHED under QRESYNC); Junk moves teach the spam filter", async (t) => {
    await seed(env, "bob", "INBOX", [
      message({ subject: "spammy" }),
      message(),
      message({ subject: "hammy" }),
    ]);
    const c = await loggedIn(t, env, "bob", "INBOX");
    const junk = await c.command("x STATUS Junk (UIDVALIDITY)");
    const validity = /UIDVALIDITY (\d+)/.exec(junk.join())?.[1];
    await c.run(`
      C: a MOVE 1 Junk
      S: * OK [COPYUID ${validity} 1 1] Moved
      S: * 1 EXPUNGE
      S: a OK MOVE completed
      C: b UID MOVE 3 Junk
      S: * OK [COPYUID ${validity} 3 2] Moved
      S: * 2 EXPUNGE
      S: b OK UID MOVE completed
      C: c SELECT Junk
      S: * FLAGS (...)
      S: * OK [PERMANENTFLAGS (...)] Flags permitted
      S: * 2 EXISTS
      S: * 2 RECENT
      S: * OK [UNSEEN 1] First unseen
      S: * OK [UIDVALIDITY ${validity}] UIDs valid
      S: * OK [UIDNEXT 3] Predicted next UID
      S: * OK [HIGHESTMODSEQ ...] Highest
      S: c OK [READ-WRITE] SELECT completed
      C: d MOVE 2 INBOX
      S: * OK [COPYUID ... 2 4] Moved
      S: * 2 EXPUNGE
      S: d OK MOVE completed
      C: e MOVE 1 Trash
      S: * OK [COPYUID ... 1 1] Moved
      S: * 1 EXPUNGE
      S: e OK MOVE completed
    `);
    await env.services.spam?.idle();
    assert.deepEqual(
      learned.map((l) => [l.user, l.verdict, /Subject: (\w+)/.exec(l.raw)?.[1]]),
      [
        ["bob@example.test", "spam", "spammy"],
        ["bob@example.test", "spam", "hammy"],
        ["bob@example.test", "ham", "hammy"],
      ],
      "into Junk is spam, out of Junk is ham, Junk to Trash teaches nothing",
    );
    const d = await loggedIn(t, env, "bob");
    await d.command("q ENABLE QRESYNC");
    await d.command("s SELECT INBOX");
    await d.run(`
      C: a UID MOVE 2:4 Archive
      S: * OK [COPYUID ... 2,4 1:2] Moved
      S: * VANISHED 2,4
      S: a OK UID MOVE completed
    `);
  });

  it("appends with flags, date, LITERAL+ and literal8; APPENDUID; TRYCREATE; TOOBIG; OVERQUOTA", async (t) => {
    const c = await loggedIn(t, env, "carol", "INBOX");
    const raw = message({ subject: "appended" }).toString();
    const inbox = await c.command("x STATUS INBOX (UIDVALIDITY)");
    const validity = /UIDVALIDITY (\d+)/.exec(inbox.join())?.[1];
    c.write(
      `a APPEND INBOX (\\Seen $Sent) "14-Jul-2023 10:11:12 +0200" {${raw.length}+}\r\n${raw}\r\n`,
    );
    await c.run(`
      S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Sent)
      S: * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Sent \\*)] Flags changed
      S: * 1 EXISTS
      S: * 1 RECENT
      S: a OK [APPENDUID ${validity} 1] APPEND completed
      C: b FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)
      S: * 1 FETCH (FLAGS (\\Seen $Sent \\Recent) INTERNALDATE "14-Jul-2023 10:11:12 +0200" RFC822.SIZE ${raw.length})
      S: b OK FETCH completed
      C: c APPEND Nowhere {3+}
      C: abc
      S: c NO [TRYCREATE] Mailbox does not exist
      C: d APPEND INBOX {0+}
      C: 
      S: d NO Empty message
      C: e APPEND INBOX {99999999999}
      S: e NO [TOOBIG] Message too big
    `);
    c.write("f APPEND INBOX ~{5+}\r\na\0b\r\n\r\n");

    await c.run(`
      S: * 2 EXISTS
      S: * 2 RECENT
      S: f OK [APPENDUID ${validity} 2] APPEND completed
      C: g APPEND INBOX UTF8 (~{3+}
      C: xyz)
      S: * 3 EXISTS
      S: * 3 RECENT
      S: g OK [APPENDUID ${validity} 3] APPEND completed
      C: h APPEND INBOX "bad date" {3+}
      C: xyz
      S: h BAD Invalid date-time
    `);
    const tiny = await loggedIn(t, env, "tiny");
    const big = "x".repeat(5000);
    await tiny.run(`
      C: a APPEND INBOX {${big.length}+}
      C: ${big}
      S: a NO [OVERQUOTA] Quota exceeded
      C: b GETQUOTAROOT INBOX
      S: * QUOTAROOT "INBOX" ""
      S: * QUOTA "" (STORAGE 0 4)
      S: b OK GETQUOTAROOT completed
      C: c GETQUOTA ""
      S: * QUOTA "" (STORAGE 0 4)
      S: c OK GETQUOTA completed
      C: d GETQUOTA "other"
      S: d NO [NONEXISTENT] No such quota root
    `);
    await c.run(`
      C: a GETQUOTAROOT INBOX
      S: * QUOTAROOT "INBOX"
      S: a OK GETQUOTAROOT completed
    `);
  });
});
