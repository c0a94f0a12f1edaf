/**
 * The JSON API on the real stack: mail delivered over SMTP to the MTA, stored by the MDA, read
 * by the webmail over IMAP; sending goes through submission to the other user.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import MailComposer from "nodemailer/lib/mail-composer";
import type Mail from "nodemailer/lib/mailer";
import type { Folder, MessagePage } from "../mail/mailbox.ts";
import type { MessageView } from "../mail/message.ts";
import { ApiClient } from "../testing/api-client.ts";
import { startTestStack, type TestStack } from "../testing/stack.ts";

const ALICE = "alice@example.test";
const BOB = "bob@example.test";
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==",
  "base64",
);
const PDF = Buffer.from("%PDF-1.4\n% a tiny test file\n");

function raw(options: Mail.Options): Promise<Buffer> {
  return new MailComposer({ from: "Sam Sender <sam@remote.test>", ...options }).compile().build();
}

describe("webmail API", () => {
  let stack: TestStack;
  let alice: ApiClient;
  let bob: ApiClient;

  const folders = async (client: ApiClient) =>
    (await client.getJson<{ folders: Folder[] }>("/api/folders")).folders;
  const inbox = (client: ApiClient, extra = "") =>
    client.getJson<MessagePage>(`/api/messages?folder=INBOX${extra}`);
  const uidOf = async (client: ApiClient, subject: string, folder = "INBOX") => {
    const page = await client.getJson<MessagePage>(
      `/api/messages?folder=${encodeURIComponent(folder)}&subject=${encodeURIComponent(subject)}`,
    );
    const uid = page.messages.find((m) => m.subject === subject)?.uid;
    const all = await client.getJson<MessagePage>(
      `/api/messages?folder=${encodeURIComponent(folder)}`,
    );
    assert.ok(
      uid,
      `${subject} in ${folder}: ${JSON.stringify(all.messages.map((m) => m.subject))}`,
    );
    return uid;
  };

  before(async () => {
    // With the spam filter, so mail from outside gets its Authentication-Results.
    stack = await startTestStack(["mda", "spam", "mta", "imap", "webmail"]);
    await stack.deliver(
      ALICE,
      await raw({ to: ALICE, subject: "Plain hello", text: "Hello Alice,\nsee you." }),
    );
    await stack.deliver(
      ALICE,
      await raw({
        to: ALICE,
        subject: "Quarterly report",
        text: "The report is attached.",
        html: `<p>The <b>report</b> is attached.</p><img src="cid:logo@remote.test" alt="logo"><img src="https://tracker.remote.test/pixel.gif">`,
        attachments: [
          { filename: "report.pdf", content: PDF, contentType: "application/pdf" },
          { filename: "logo.png", content: PNG, contentType: "image/png", cid: "logo@remote.test" },
        ],
      }),
    );
    alice = await ApiClient.login(stack, ALICE);
    bob = await ApiClient.login(stack, BOB);
  });
  after(async () => {
    await stack.stop();
  });

  it("lists folders with special use and unread counts", async () => {
    const list = await folders(alice);
    const byUse = new Map(list.map((f) => [f.specialUse, f]));
    for (const use of ["\\Inbox", "\\Sent", "\\Drafts", "\\Trash", "\\Junk"]) {
      assert.ok(byUse.get(use), `${use} in ${JSON.stringify(list)}`);
    }
    assert.equal(byUse.get("\\Inbox")?.total, 2);
    assert.equal(byUse.get("\\Inbox")?.unread, 2);
  });

  it("pages the list newest first, with sender, size and attachment mark", async () => {
    const page = await inbox(alice);
    assert.equal(page.total, 2);
    assert.deepEqual(
      page.messages.map((m) => [m.subject, m.hasAttachment]),
      [
        ["Quarterly report", true],
        ["Plain hello", false],
      ],
    );
    assert.deepEqual(page.messages[0]?.from, [{ name: "Sam Sender", address: "sam@remote.test" }]);
    assert.ok((page.messages[0]?.size ?? 0) > PDF.length);
    const second = await inbox(alice, "&pageSize=1&page=1");
    assert.deepEqual(
      second.messages.map((m) => m.subject),
      ["Plain hello"],
    );
    const beyond = await inbox(alice, "&pageSize=1&page=5");
    assert.deepEqual(beyond.messages, []);
  });

  it("a page fetched later shows mail that arrived after the folder was opened", async () => {
    const before = (await inbox(bob)).total;
    const events = await bob.events();
    try {
      await events.next("ready");
      await stack.deliver(BOB, await raw({ to: BOB, subject: "Late arrival", text: "x" }));
      // The MTA accepts before the MDA stores; the event says it is stored.
      await events.next("mail");
    } finally {
      events.close();
    }
    const after = await inbox(bob);
    assert.equal(after.total, before + 1);
    assert.equal(after.messages[0]?.subject, "Late arrival");
    await bob.postOk("/api/messages/delete", { folder: "INBOX", uids: [after.messages[0]?.uid] });
  });

  it("reads a message: text, attachments listed, marked read", async () => {
    const uid = await uidOf(alice, "Quarterly report");
    const message = await alice.getJson<MessageView>(`/api/message?folder=INBOX&uid=${uid}`);
    assert.equal(message.subject, "Quarterly report");
    assert.equal(message.text?.trim(), "The report is attached.");
    assert.equal(message.hasHtml, true);
    assert.deepEqual(
      message.attachments.map((a) => [a.filename, a.type]),
      [["report.pdf", "application/pdf"]],
    );
    assert.ok(message.flags.includes("\\Seen"));
    const inboxFolder = (await folders(alice)).find((f) => f.path === "INBOX");
    assert.equal(inboxFolder?.unread, 1);
  });

  it("serves the HTML body sanitized, in a sandbox, inline image embedded, remote image held back", async () => {
    const uid = await uidOf(alice, "Quarterly report");
    const body = await alice.get(`/api/message/body?folder=INBOX&uid=${uid}`);
    assert.equal(body.status, 200);
    const csp = String(body.headers["content-security-policy"]);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /img-src data:;/);
    assert.match(csp, /sandbox allow-popups allow-popups-to-escape-sandbox/);
    assert.doesNotMatch(csp, /allow-scripts|allow-same-origin/);
    const html = body.body.toString();
    assert.match(html, /<b>report<\/b>/);
    assert.match(html, /<img alt="logo" src="data:image\/png;base64,/);
    assert.doesNotMatch(html, /tracker\.remote\.test/);
    assert.equal(body.headers["x-blocked-images"], "1");

    const allowed = await alice.get(`/api/message/body?folder=INBOX&uid=${uid}&images=1`);
    assert.match(allowed.body.toString(), /tracker\.remote\.test/);
    assert.match(String(allowed.headers["content-security-policy"]), /img-src data: https: http:/);
  });

  it("downloads an attachment as an attachment, byte for byte", async () => {
    const uid = await uidOf(alice, "Quarterly report");
    const message = await alice.getJson<MessageView>(`/api/message?folder=INBOX&uid=${uid}`);
    const part = message.attachments[0]?.part ?? "";
    const file = await alice.get(`/api/message/part?folder=INBOX&uid=${uid}&part=${part}`);
    assert.equal(file.status, 200);
    assert.match(
      String(file.headers["content-disposition"]),
      /^attachment; filename="report\.pdf"/,
    );
    assert.deepEqual(file.body, PDF);
    const missing = await alice.get(`/api/message/part?folder=INBOX&uid=${uid}&part=9`);
    assert.equal(missing.status, 404);
  });

  it("shows the Authentication-Results recorded for mail from outside", async () => {
    const events = await bob.events();
    try {
      await events.next("ready");
      await stack.sendToMx(BOB, await raw({ to: BOB, subject: "From outside", text: "Hi Bob" }));
      await events.next("mail");
    } finally {
      events.close();
    }
    const uid = await uidOf(bob, "From outside");
    const message = await bob.getJson<MessageView>(`/api/message?folder=INBOX&uid=${uid}`);
    assert.equal(message.authenticationResults.length, 1);
    assert.match(message.authenticationResults[0] ?? "", /^mail\.example\.test; .*spf=none/);
    assert.match(message.authenticationResults[0] ?? "", /dmarc=none header\.from=remote\.test/);
    await bob.postOk("/api/messages/delete", { folder: "INBOX", uids: [uid] });
  });

  it("flags and unflags, marks unread", async () => {
    const uid = await uidOf(alice, "Plain hello");
    await alice.postOk("/api/messages/flags", {
      folder: "INBOX",
      uids: [uid],
      add: ["\\Flagged", "\\Seen"],
    });
    let m = (await inbox(alice)).messages.find((x) => x.uid === uid);
    assert.deepEqual(m?.flags.sort(), ["\\Flagged", "\\Seen"]);
    await alice.postOk("/api/messages/flags", { folder: "INBOX", uids: [uid], remove: ["\\Seen"] });
    m = (await inbox(alice)).messages.find((x) => x.uid === uid);
    assert.deepEqual(m?.flags, ["\\Flagged"]);
    const refused = await alice.post("/api/messages/flags", {
      folder: "INBOX",
      uids: [uid],
      add: ["\\Deleted"],
    });
    assert.equal(refused.status, 400);
  });

  it("marks spam (to Junk) and not spam (back to the inbox)", async () => {
    const uid = await uidOf(alice, "Plain hello");
    await alice.postOk("/api/messages/spam", { folder: "INBOX", uids: [uid], spam: true });
    assert.deepEqual(
      (await inbox(alice)).messages.map((m) => m.subject),
      ["Quarterly report"],
    );
    const junkUid = await uidOf(alice, "Plain hello", "Junk");
    const junk = await alice.getJson<MessagePage>("/api/messages?folder=Junk");
    assert.ok(junk.messages[0]?.flags.includes("$Junk"));
    await alice.postOk("/api/messages/spam", { folder: "Junk", uids: [junkUid], spam: false });
    assert.equal((await alice.getJson<MessagePage>("/api/messages?folder=Junk")).total, 0);
    assert.equal((await inbox(alice)).total, 2);
  });

  it("searches by from, subject, body and date", async () => {
    const subjects = async (q: string) =>
      (await inbox(alice, q)).messages.map((m) => m.subject).sort();
    assert.deepEqual(await subjects("&subject=quarterly"), ["Quarterly report"]);
    assert.deepEqual(await subjects("&body=see%20you"), ["Plain hello"]);
    assert.deepEqual(await subjects("&from=sam%40remote.test"), [
      "Plain hello",
      "Quarterly report",
    ]);
    assert.deepEqual(await subjects("&from=nobody"), []);
    assert.deepEqual(await subjects("&before=2000-01-01"), []);
    assert.deepEqual(await subjects("&since=2000-01-01"), ["Plain hello", "Quarterly report"]);
  });

  it("sends to another user through submission, keeps a copy in Sent, and the stream tells the other", async () => {
    const events = await bob.events();
    try {
      const ready = await events.next<{ count: number }>("ready");
      assert.equal(ready.count, 0);
      await alice.postOk("/api/send", {
        to: [BOB],
        subject: "Lunch?",
        text: "Noon at the usual place.",
        attachments: [
          { filename: "map.png", contentType: "image/png", content: PNG.toString("base64") },
        ],
      });
      const mail = await events.next<{ count: number }>("mail");
      assert.equal(mail.count, 1);
    } finally {
      events.close();
    }
    const received = await inbox(bob);
    assert.deepEqual(
      received.messages.map((m) => [m.subject, m.from[0]?.address, m.hasAttachment]),
      [["Lunch?", ALICE, true]],
    );
    const sent = await alice.getJson<MessagePage>("/api/messages?folder=Sent");
    assert.deepEqual(
      sent.messages.map((m) => m.subject),
      ["Lunch?"],
    );
  });

  it("forwards with the original's attachments", async () => {
    const uid = await uidOf(alice, "Quarterly report");
    const events = await bob.events();
    try {
      await events.next("ready");
      await alice.postOk("/api/send", {
        to: [BOB],
        subject: "Fwd: Quarterly report",
        text: "FYI",
        forwarding: { folder: "INBOX", uid },
      });
      await events.next("mail");
    } finally {
      events.close();
    }
    const forwarded = await uidOf(bob, "Fwd: Quarterly report");
    const message = await bob.getJson<MessageView>(`/api/message?folder=INBOX&uid=${forwarded}`);
    assert.deepEqual(
      message.attachments.map((a) => a.filename),
      ["report.pdf"],
    );
    const part = message.attachments[0]?.part ?? "";
    const file = await bob.get(`/api/message/part?folder=INBOX&uid=${forwarded}&part=${part}`);
    assert.deepEqual(file.body, PDF);
  });

  it("refuses a message without recipients (400)", async () => {
    const none = await alice.post("/api/send", { to: [], subject: "x", text: "x" });
    assert.equal(none.status, 400);
  });

  it("saves a draft to Drafts and replaces it on the next save", async () => {
    const first = await alice.postOk("/api/drafts", { to: [BOB], subject: "Draft", text: "v1" });
    const draft = first.json<{ draft: { folder: string; uid: number } }>().draft;
    assert.equal(draft.folder, "Drafts");
    await alice.postOk("/api/drafts", { to: [BOB], subject: "Draft", text: "v2", draft });
    const drafts = await alice.getJson<MessagePage>("/api/messages?folder=Drafts");
    assert.equal(drafts.total, 1);
    assert.ok(drafts.messages[0]?.flags.includes("\\Draft"));
  });

  it("deletes to Trash, and from Trash for good", async () => {
    const uid = await uidOf(alice, "Plain hello");
    await alice.postOk("/api/messages/delete", { folder: "INBOX", uids: [uid] });
    const trashUid = await uidOf(alice, "Plain hello", "Trash");
    await alice.postOk("/api/messages/delete", { folder: "Trash", uids: [trashUid] });
    assert.equal((await alice.getJson<MessagePage>("/api/messages?folder=Trash")).total, 0);
  });
});
