import { after, before, describe, it } from "node:test";
import { MAX_APPEND_LITERAL_BYTES } from "../limits.ts";
import { createEnv, loggedIn, message, seed, type TestEnv } from "../testing/harness.ts";

describe("LIST, LSUB, STATUS, CREATE, DELETE, RENAME, SUBSCRIBE", () => {
  let env: TestEnv;
  before(async () => {
    env = await createEnv();
  });
  after(() => env.close());

  it("lists the default mailboxes with special-use and children attributes", async (t) => {
    const c = await loggedIn(t, env, "alice");
    await c.run(`
      C: a LIST "" ""
      S: * LIST (\\Noselect) "/" ""
      S: a OK LIST completed
      C: b LIST "" *
      S: * LIST (\\HasNoChildren) "/" "INBOX"
      S: * LIST (\\HasNoChildren \\Archive) "/" "Archive"
      S: * LIST (\\HasNoChildren \\Drafts) "/" "Drafts"
      S: * LIST (\\HasNoChildren \\Junk) "/" "Junk"
      S: * LIST (\\HasNoChildren \\Sent) "/" "Sent"
      S: * LIST (\\HasNoChildren \\Trash) "/" "Trash"
      S: b OK LIST completed
      C: c LIST "" inbox
      S: * LIST (\\HasNoChildren) "/" "INBOX"
      S: c OK LIST completed
      C: d LIST (SPECIAL-USE) "" * RETURN (STATUS (MESSAGES UNSEEN))
      S: * LIST (\\HasNoChildren \\Archive) "/" "Archive"
      S: * STATUS "Archive" (MESSAGES 0 UNSEEN 0)
      S: * LIST (\\HasNoChildren \\Drafts) "/" "Drafts"
      S: * STATUS "Drafts" (MESSAGES 0 UNSEEN 0)
      S: * LIST (\\HasNoChildren \\Junk) "/" "Junk"
      S: * STATUS "Junk" (MESSAGES 0 UNSEEN 0)
      S: * LIST (\\HasNoChildren \\Sent) "/" "Sent"
      S: * STATUS "Sent" (MESSAGES 0 UNSEEN 0)
      S: * LIST (\\HasNoChildren \\Trash) "/" "Trash"
      S: * STATUS "Trash" (MESSAGES 0 UNSEEN 0)
      S: d OK LIST completed
      C: e LIST (BOGUS) "" *
      S: e BAD Unknown LIST selection option BOGUS
      C: f LIST (RECURSIVEMATCH) "" *
      S: f BAD RECURSIVEMATCH needs another selection option
    `);
  });

  it("creates, renames with children, deletes, and spells names in modified UTF-7", async (t) => {
    const c = await loggedIn(t, env, "bob");
    await c.run(`
      C: a CREATE Projects/2024/
      S: a OK CREATE completed
      C: b CREATE Projects
      S: b NO [ALREADYEXISTS] Mailbox already exists
      C: c CREATE inbox
      S: c NO [ALREADYEXISTS] INBOX always exists
      C: d CREATE Entw&APw-rfe
      S: d OK CREATE completed
      C: e LIST "" %
      S: * LIST (\\HasNoChildren) "/" "INBOX"
      S: * LIST (\\HasNoChildren \\Archive) "/" "Archive"
      S: * LIST (\\HasNoChildren \\Drafts) "/" "Drafts"
      S: * LIST (\\HasNoChildren) "/" "Entw&APw-rfe"
      S: * LIST (\\HasNoChildren \\Junk) "/" "Junk"
      S: * LIST (\\HasChildren) "/" "Projects"
      S: * LIST (\\HasNoChildren \\Sent) "/" "Sent"
      S: * LIST (\\HasNoChildren \\Trash) "/" "Trash"
      S: e OK LIST completed
      C: f RENAME Projects Work
      S: f OK RENAME completed
      C: g LIST "" Work*
      S: * LIST (\\HasChildren) "/" "Work"
      S: * LIST (\\HasNoChildren) "/" "Work/2024"
      S: g OK LIST completed
      C: h DELETE Work
      S: h OK DELETE completed
      C: i LIST "" Work/%
      S: * LIST (\\HasNoChildren) "/" "Work/2024"
      S: i OK LIST completed
      C: j LIST "" %
      S: * LIST (\\HasNoChildren) "/" "INBOX"
      S: * LIST (\\HasNoChildren \\Archive) "/" "Archive"
      S: * LIST (\\HasNoChildren \\Drafts) "/" "Drafts"
      S: * LIST (\\HasNoChildren) "/" "Entw&APw-rfe"
      S: * LIST (\\HasNoChildren \\Junk) "/" "Junk"
      S: * LIST (\\HasNoChildren \\Sent) "/" "Sent"
      S: * LIST (\\HasNoChildren \\Trash) "/" "Trash"
      S: * LIST (\\Noselect \\HasChildren) "/" "Work"
      S: j OK LIST completed
      C: k DELETE INBOX
      S: k NO [CANNOT] INBOX cannot be deleted
      C: l DELETE Nope
      S: l NO [NONEXISTENT] Mailbox does not exist
      C: m RENAME Nope Other
      S: m NO [NONEXISTENT] Mailbox does not exist
      C: n RENAME Sent Drafts
      S: n NO [ALREADYEXISTS] Mailbox already exists
      C: o ENABLE UTF8=ACCEPT
      S: * ENABLED UTF8=ACCEPT
      S: o OK ENABLE completed
      C: p LIST "" Entw*
      S: * LIST (\\HasNoChildren) "/" "Entwürfe"
      S: p OK LIST completed
    `);
  });

  it("subscribes, lists subscriptions with LSUB and LIST (SUBSCRIBED), RECURSIVEMATCH", async (t) => {
    const c = await loggedIn(t, env, "carol");
    await c.run(`
      C: a CREATE Lists/Node
      S: a OK CREATE completed
      C: b SUBSCRIBE Lists/Node
      S: b OK SUBSCRIBE completed
      C: c UNSUBSCRIBE Trash
      S: c OK UNSUBSCRIBE completed
      C: d SUBSCRIBE Gone
      S: d OK SUBSCRIBE completed
      C: e LSUB "" *
      S: * LSUB () "/" "Archive"
      S: * LSUB () "/" "Drafts"
      S: * LSUB (\\Noselect) "/" "Gone"
      S: * LSUB () "/" "INBOX"
      S: * LSUB () "/" "Junk"
      S: * LSUB () "/" "Lists/Node"
      S: * LSUB () "/" "Sent"
      S: e OK LSUB completed
      C: f LSUB "" %
      S: * LSUB () "/" "Archive"
      S: * LSUB () "/" "Drafts"
      S: * LSUB (\\Noselect) "/" "Gone"
      S: * LSUB () "/" "INBOX"
      S: * LSUB () "/" "Junk"
      S: * LSUB (\\Noselect) "/" "Lists"
      S: * LSUB () "/" "Sent"
      S: f OK LSUB completed
      C: g LIST (SUBSCRIBED RECURSIVEMATCH) "" L%
      S: * LIST (\\HasChildren) "/" "Lists" ("CHILDINFO" ("SUBSCRIBED"))
      S: g OK LIST completed
      C: g2 LIST (SUBSCRIBED RECURSIVEMATCH) "" (Lists Lists/Node)
      S: * LIST (\\HasNoChildren \\Subscribed) "/" "Lists/Node"
      S: g2 OK LIST completed
      C: h LIST (SUBSCRIBED) "" G*
      S: * LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" "Gone"
      S: h OK LIST completed
      C: i LIST "" T* RETURN (SUBSCRIBED CHILDREN)
      S: * LIST (\\HasNoChildren \\Trash) "/" "Trash"
      S: i OK LIST completed
      C: j LIST "" (I* J*) RETURN (SUBSCRIBED)
      S: * LIST (\\HasNoChildren \\Subscribed) "/" "INBOX"
      S: * LIST (\\HasNoChildren \\Junk \\Subscribed) "/" "Junk"
      S: j OK LIST completed
    `);
  });

  it("creates a mailbox with a special use (CREATE-SPECIAL-USE, RFC 6154 §3)", async (t) => {
    const c = await loggedIn(t, env, "frank");
    await c.run(`
      C: a CREATE Outbox (USE (\\Sent))
      S: a NO [USEATTR] Sent already has \\Sent
      C: b DELETE Sent
      S: b OK DELETE completed
      C: c CREATE "Sent Items" (USE (\\Sent))
      S: c OK CREATE completed
      C: d LIST "" "Sent*" RETURN (SPECIAL-USE)
      S: * LIST (\\HasNoChildren \\Sent) "/" "Sent Items"
      S: d OK LIST completed
      C: e CREATE Important (USE (\\Important))
      S: e NO [USEATTR] Special use \\Important is not supported
      C: f CREATE Two (USE (\\Junk \\Trash))
      S: f NO [USEATTR] Exactly one special use per mailbox
      C: g CREATE Other (COLOR (red))
      S: g BAD Unknown CREATE parameter
      C: h LIST "" "%" RETURN (SPECIAL-USE)
      S: * LIST (\\HasNoChildren) "/" "INBOX"
      S: * LIST (\\HasNoChildren \\Archive) "/" "Archive"
      S: * LIST (\\HasNoChildren \\Drafts) "/" "Drafts"
      S: * LIST (\\HasNoChildren \\Junk) "/" "Junk"
      S: * LIST (\\HasNoChildren \\Sent) "/" "Sent Items"
      S: * LIST (\\HasNoChildren \\Trash) "/" "Trash"
      S: h OK LIST completed
    `);
  });

  it("reports STATUS items, including SIZE, DELETED, HIGHESTMODSEQ and APPENDLIMIT", async (t) => {
    const one = message({ body: "one" });
    const two = message({ body: "two" });
    await seed(env, "dave", "INBOX", [
      { raw: one, flags: ["\\Seen"] },
      { raw: two, flags: ["\\Deleted"] },
    ]);
    const c = await loggedIn(t, env, "dave");
    const size = one.length + two.length;
    await c.run(`
      C: a STATUS INBOX (MESSAGES UNSEEN UIDNEXT SIZE DELETED RECENT)
      S: * STATUS "INBOX" (MESSAGES 2 UNSEEN 1 UIDNEXT 3 SIZE ${size} DELETED 1 RECENT 2)
      S: a OK STATUS completed
      C: b STATUS Nope (MESSAGES)
      S: b NO [NONEXISTENT] Mailbox does not exist
      C: c STATUS INBOX (BOGUS)
      S: c BAD Unknown status item BOGUS
      C: d STATUS INBOX ()
      S: d BAD STATUS needs at least one item
      C: e STATUS INBOX (HIGHESTMODSEQ UIDVALIDITY)
      S: * STATUS "INBOX" (HIGHESTMODSEQ ... UIDVALIDITY ...)
      S: e OK STATUS completed
      C: f STATUS INBOX (DELETED-STORAGE)
      S: * STATUS "INBOX" (DELETED-STORAGE 1)
      S: f OK STATUS completed
      C: g STATUS INBOX (APPENDLIMIT)
      S: * STATUS "INBOX" (APPENDLIMIT ${MAX_APPEND_LITERAL_BYTES})
      S: g OK STATUS completed
    `);
  });
});
