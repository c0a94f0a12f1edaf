import assert from "node:assert/strict";
import { mkdir, readdir, readFile, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { SqliteMailStore } from "../sqlite/sqlite-store.ts";
import { message, tempDataDir } from "../testing/fixtures.ts";
import type { Account } from "../types.ts";
import { exportMaildir, importMaildir } from "./maildir.ts";
import { exportMbox, importMbox } from "./mbox.ts";

async function newAccount(t: TestContext, user = "carol@example.com"): Promise<Account> {
  const store = new SqliteMailStore({ dataDir: await tempDataDir(t) });
  t.after(() => store.close());
  return store.openAccount(user);
}

/** An account with what is hard to carry: nesting, odd names, many keywords, odd bytes. */
async function populate(account: Account): Promise<void> {
  await account.createMailbox("Work/Reports.2024");
  await account.createMailbox("Entwürfe & Ideen");
  await account.setSubscribed("Work/Reports.2024", true);
  const keywords = Array.from({ length: 30 }, (_, i) => `$Kw${i}`);
  await account.append("INBOX", message({ subject: "plain" }), {
    flags: ["\\Seen", "\\Answered", "$Forwarded", "Work"],
    internalDate: { time: Date.UTC(2023, 4, 6, 7, 8, 9, 0), zoneMinutes: 330 },
  });
  await account.append(
    "INBOX",
    message({
      subject: "mbox traps",
      body: "From here on\r\n>From quoted\r\n>>From twice\r\nFrom",
    }),
    { flags: ["\\Flagged", "\\Draft", "\\Deleted"] },
  );
  await account.append("INBOX", Buffer.from("Subject: no final newline\r\n\r\nlast line"));
  await account.append("INBOX", Buffer.from("Subject: bare LF\n\nline one\nline two\n"));
  await account.append("Work/Reports.2024", message({ subject: "many keywords" }), {
    flags: keywords,
  });
  await account.append("Entwürfe & Ideen", message({ subject: "Grüße" }), { flags: [] });
}

async function snapshot(account: Account) {
  const out: Record<string, unknown[]> = {};
  for (const box of await account.listMailboxes()) {
    const view = await account.openMailbox(box.id);
    const list = await view.list();
    out[box.name] = await Promise.all(
      list.map(async (m) => ({
        raw: Buffer.from((await view.read(m.uid)) ?? []).toString("latin1"),
        flags: [...m.flags].sort(),
        date: m.internalDate,
      })),
    );
  }
  return {
    mailboxes: out,
    roles: (await account.listMailboxes()).map((b) => [b.name, b.specialUse]),
    subscriptions: await account.listSubscriptions(),
  };
}

test("Maildir export then import gives back every message, flag, date and folder", async (t) => {
  const source = await newAccount(t);
  await populate(source);
  const dir = await tempDataDir(t);
  const exported = await exportMaildir(source, dir);
  assert.deepEqual(exported, { mailboxes: 9, messages: 6 });
  const entries = await readdir(dir);
  assert.ok(entries.includes("cur") && entries.includes(".Work.Reports&AC4-2024"), entries.join());
  assert.ok(entries.includes(".Entw&APw-rfe &- Ideen"));
  const cur = await readdir(join(dir, "cur"));
  assert.ok(
    cur.some((f) => f.endsWith(":2,PRSa")),
    cur.join(),
  );
  assert.match(
    await readFile(join(dir, ".Work.Reports&AC4-2024", "dovecot-keywords"), "utf8"),
    /^0 \$Kw0\n/,
  );
  const target = await newAccount(t, "dave@example.com");
  await importMaildir(target, dir);
  assert.deepEqual(await snapshot(target), await snapshot(source));
});

test("mbox export then import gives back every message byte for byte with its flags", async (t) => {
  const source = await newAccount(t);
  await populate(source);
  const dir = await tempDataDir(t);
  await exportMbox(source, dir);
  const inbox = await readFile(join(dir, "INBOX.mbox"), "latin1");
  assert.match(inbox, /^From MAILER-DAEMON \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n/);
  assert.ok(inbox.includes("\n>From here on\r\n>>From quoted\r\n>>>From twice\r\nFrom\r\n\n"));
  assert.ok(inbox.includes("Status: RO\nX-Status: A\nX-Keywords: $Forwarded Work\n"));
  assert.ok(await readFile(join(dir, "Work", "Reports&AC4-2024.mbox")));
  const target = await newAccount(t, "dave@example.com");
  await importMbox(target, dir);
  const [got, want] = [await snapshot(target), await snapshot(source)];
  assert.deepEqual(got.mailboxes, want.mailboxes);
  assert.deepEqual(got.roles, want.roles);
});

test("foreign mbox and Maildir files import with their flags; LF-only files become CRLF", async (t) => {
  const dir = await tempDataDir(t);
  await writeFile(
    join(dir, "Lists.mbox"),
    [
      "From someone@example.org Sat Jan  3 01:05:34 1996",
      "Subject: first",
      "Status: RO",
      "X-Status: AF",
      "X-Keywords: Important [bad]",
      "",
      ">From the start",
      "",
      "From other@example.org Sat Jan  3 02:00:00 1996",
      "Subject: second",
      "",
      "body",
      "",
    ].join("\n"),
  );
  await mkdir(join(dir, "md", "cur"), { recursive: true });
  await mkdir(join(dir, "md", "new"), { recursive: true });
  await writeFile(join(dir, "md", "new", "1700000000.abc.host"), "Subject: new\n\nunseen\n");
  await writeFile(join(dir, "md", "cur", "1600000000.def.host:2,ST"), "Subject: old\n\nseen\n");
  // A Maildir's INTERNALDATE is the file's mtime (as Dovecot reads it).
  await utimes(join(dir, "md", "new", "1700000000.abc.host"), 1_700_000_000, 1_700_000_000);
  await utimes(join(dir, "md", "cur", "1600000000.def.host:2,ST"), 1_600_000_000, 1_600_000_000);
  const account = await newAccount(t);
  await importMbox(account, dir);
  const lists = await account.openMailbox("Lists");
  const listed = await lists.list();
  assert.deepEqual(
    listed.map((m) => m.flags),
    [["\\Seen", "\\Answered", "\\Flagged", "Important"], []],
  );
  assert.equal(listed[0]?.internalDate.time, Date.UTC(1996, 0, 3, 1, 5, 34));
  assert.equal(
    Buffer.from((await lists.read(1)) ?? []).toString(),
    "Subject: first\r\nStatus: RO\r\nX-Status: AF\r\nX-Keywords: Important [bad]\r\n\r\nFrom the start\r\n",
  );
  await importMaildir(account, join(dir, "md"));
  const inbox = await account.openMailbox("INBOX");
  assert.deepEqual(
    (await inbox.list()).map((m) => [m.flags, m.internalDate.time]),
    [
      [["\\Seen", "\\Deleted"], 1_600_000_000_000],
      [[], 1_700_000_000_000],
    ],
  );
});
