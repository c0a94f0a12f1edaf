/**
 * The message list on the real stack (MDA, MTA, IMAP, webmail as processes): server-side order
 * (IMAP SORT), conversations (THREAD=REFERENCES), paging of both; then in headless Chromium the
 * order chosen and remembered, a conversation opened in place, and checked rows (click,
 * shift-click, all on the page, the keyboard) acted on in bulk. Screenshots go to test-output/.
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import MailComposer from "nodemailer/lib/mail-composer";
import type Mail from "nodemailer/lib/mailer";
import type { Browser, Page } from "playwright-core";
import type { MessagePage } from "./mail/mailbox.ts";
import { ApiClient } from "./testing/api-client.ts";
import { launchChromium } from "./testing/browser.ts";
import { startTestStack, type TestStack } from "./testing/stack.ts";

const ALICE = "alice@example.test";
const OUTPUT = join(import.meta.dirname, "test-output");

function raw(options: Mail.Options): Promise<Buffer> {
  return new MailComposer(options).compile().build();
}

/**
 * Delivered in this order (arrival); dates, senders, subjects and sizes each give another order.
 * "Trip" is a conversation of three, its last reply the newest mail of all.
 */
const MAIL: readonly Mail.Options[] = [
  {
    from: "Carol <carol@remote.test>",
    subject: "Budget",
    date: new Date("2026-03-03T10:00:00Z"),
    text: "b".repeat(3000),
  },
  {
    from: "Anna <anna@remote.test>",
    subject: "Trip",
    date: new Date("2026-03-01T10:00:00Z"),
    messageId: "<trip-1@remote.test>",
    text: "Shall we go?",
  },
  {
    from: "Bert <bert@remote.test>",
    subject: "Agenda",
    date: new Date("2026-03-05T10:00:00Z"),
    text: "a".repeat(9000),
  },
  {
    from: "Dora <dora@remote.test>",
    subject: "Re: Trip",
    date: new Date("2026-03-02T10:00:00Z"),
    messageId: "<trip-2@remote.test>",
    inReplyTo: "<trip-1@remote.test>",
    references: "<trip-1@remote.test>",
    text: "Yes!",
  },
  {
    from: "Anna <anna@remote.test>",
    subject: "Re: Trip",
    date: new Date("2026-03-09T10:00:00Z"),
    messageId: "<trip-3@remote.test>",
    inReplyTo: "<trip-2@remote.test>",
    references: "<trip-1@remote.test> <trip-2@remote.test>",
    text: "Booked.",
  },
  {
    from: "Emil <emil@remote.test>",
    subject: "Cake",
    date: new Date("2026-03-04T10:00:00Z"),
    text: "c",
  },
];

const subjects = (page: MessagePage) => page.messages.map((m) => m.subject);

describe("message list: order, conversations, bulk actions", () => {
  let stack: TestStack;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;

  before(async () => {
    await mkdir(OUTPUT, { recursive: true });
    stack = await startTestStack();
    for (const mail of MAIL) await stack.deliver(ALICE, await raw({ to: ALICE, ...mail }));
    api = await ApiClient.login(stack, ALICE);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const list = (params: string) => api.getJson<MessagePage>(`/api/messages?folder=INBOX&${params}`);

  it("sorts on the server by arrival, date, sender, subject and size, both ways", async () => {
    assert.deepEqual(subjects(await list("")), [
      "Cake",
      "Re: Trip",
      "Re: Trip",
      "Agenda",
      "Trip",
      "Budget",
    ]);
    assert.deepEqual(subjects(await list("order=asc")), [
      "Budget",
      "Trip",
      "Agenda",
      "Re: Trip",
      "Re: Trip",
      "Cake",
    ]);
    const byDate = await list("sort=date");
    assert.deepEqual(
      byDate.messages.map((m) => m.date?.slice(0, 10)),
      ["2026-03-09", "2026-03-05", "2026-03-04", "2026-03-03", "2026-03-02", "2026-03-01"],
    );
    assert.equal(byDate.sort, "date");
    assert.deepEqual(
      (await list("sort=from&order=asc")).messages.map((m) => m.from[0]?.name),
      ["Anna", "Anna", "Bert", "Carol", "Dora", "Emil"],
    );
    // RFC 5256 base subject: "Re: Trip" sorts as "Trip"; ties in arrival order.
    assert.deepEqual(subjects(await list("sort=subject&order=asc")), [
      "Agenda",
      "Budget",
      "Cake",
      "Trip",
      "Re: Trip",
      "Re: Trip",
    ]);
    assert.deepEqual(subjects(await list("sort=size")).slice(0, 2), ["Agenda", "Budget"]);
  });

  it("pages a sorted list, and a sorted search", async () => {
    const pages = await Promise.all([0, 1, 2].map((p) => list(`sort=date&pageSize=2&page=${p}`)));
    assert.deepEqual(pages.map(subjects), [
      ["Re: Trip", "Agenda"],
      ["Cake", "Budget"],
      ["Re: Trip", "Trip"],
    ]);
    assert.ok(pages.every((p) => p.total === 6));
    const found = await list("sort=date&order=asc&subject=trip");
    assert.equal(found.total, 3);
    assert.deepEqual(
      found.messages.map((m) => m.date?.slice(0, 10)),
      ["2026-03-01", "2026-03-02", "2026-03-09"],
    );
  });

  it("shows conversations as one row each, with the count and the newest date", async () => {
    const threads = await list("threads=1&sort=date");
    assert.equal(threads.total, 4);
    assert.deepEqual(subjects(threads), ["Re: Trip", "Agenda", "Cake", "Budget"]);
    const trip = threads.messages[0]?.thread;
    assert.ok(trip);
    assert.equal(trip.count, 3);
    assert.equal(trip.latest?.slice(0, 10), "2026-03-09");
    assert.equal(trip.unread, 3);
    assert.deepEqual(
      trip.messages.map((m) => m.date?.slice(0, 10)),
      ["2026-03-09", "2026-03-02", "2026-03-01"],
    );
    assert.equal(threads.messages[1]?.thread, undefined);
    const second = await list("threads=1&sort=date&pageSize=3&page=1");
    assert.deepEqual(subjects(second), ["Budget"]);
  });

  it("a sorted list sees mail that arrived after it was last asked for", async () => {
    assert.equal((await list("sort=date")).total, 6);
    await stack.deliver(
      ALICE,
      await raw({
        to: ALICE,
        from: "Finn <finn@remote.test>",
        subject: "Zebra",
        date: new Date("2026-03-06T10:00:00Z"),
        text: "z",
      }),
    );
    // The IMAP server hears of another process's delivery on its next poll of the store (up
    // to 200 ms): ask until it has; the sorted answer kept from before must not hide it.
    let after = await list("sort=date");
    for (let tries = 0; after.total !== 7 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await list("sort=date");
    }
    assert.equal(after.total, 7);
    assert.deepEqual(subjects(after).slice(0, 2), ["Re: Trip", "Zebra"]);
  });

  async function rowSubjects(): Promise<string[]> {
    return page.locator("#message-list li.row .subject").allTextContents();
  }

  it("in Chromium: chooses the order, and remembers it", async () => {
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 860 },
    });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${stack.origin}/`);
    await page.getByLabel("Email address").fill(ALICE);
    await page.getByLabel("Password").fill(stack.passwords[ALICE] ?? "");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator("body[data-ready=true]").waitFor();
    assert.equal((await rowSubjects())[0], "Zebra");

    await page.getByLabel("Sort by").selectOption({ label: "Subject" });
    await page.getByLabel("Order").selectOption({ label: "Ascending" });
    await page
      .locator("#message-list li.row")
      .first()
      .locator(".subject", { hasText: "Agenda" })
      .waitFor();
    assert.deepEqual(await rowSubjects(), [
      "Agenda",
      "Budget",
      "Cake",
      "Trip",
      "Re: Trip",
      "Re: Trip",
      "Zebra",
    ]);
    await page.reload();
    await page.locator("body[data-ready=true]").waitFor();
    assert.equal(await page.getByLabel("Sort by").inputValue(), "subject");
    assert.equal(await page.getByLabel("Order").inputValue(), "asc");
    assert.equal((await rowSubjects())[0], "Agenda");
  });

  it("in Chromium: conversations as rows that open in place", async () => {
    await page.getByLabel("Sort by").selectOption({ label: "Date" });
    await page.getByLabel("Order").selectOption({ label: "Descending" });
    await page.getByLabel("Conversations").check();
    const trip = page.locator("#message-list li.row.thread");
    await trip.waitFor();
    assert.equal(await trip.count(), 1);
    assert.equal(await trip.getByLabel("3 messages").textContent(), "3");
    assert.deepEqual(await rowSubjects(), ["Re: Trip", "Zebra", "Agenda", "Cake", "Budget"]);
    await page.getByText("1 / 1 · 5 conversations").waitFor();
    await page.getByRole("button", { name: "Open conversation" }).click();
    await page.locator("#message-list li.row.member").nth(2).waitFor();
    assert.equal(await page.locator("#message-list li.row.member").count(), 3);
    await page.screenshot({ path: join(OUTPUT, "list-threads.png") });
    await page.locator("#message-list li.row.member").nth(2).click();
    await page.locator("#message-subject", { hasText: "Trip" }).waitFor();
    await page.frameLocator("iframe.body").getByText("Shall we go?").waitFor();
  });

  it("in Chromium: checks rows (click, shift-click, all on the page) and acts on them", async () => {
    await page.getByLabel("Conversations").uncheck();
    await page.locator("#message-list li.row").nth(6).waitFor();
    const picks = page.locator("#message-list li.row .pick");
    // Date order, newest first: Re: Trip, Zebra, Agenda, Cake, Budget, Re: Trip, Trip.
    await picks.nth(1).click();
    await picks.nth(3).click({ modifiers: ["Shift"] });
    const bulk = page.getByRole("toolbar", { name: "Selected messages" });
    await bulk.getByText("3 selected").waitFor();
    assert.deepEqual(
      await page.locator("#message-list li.row.checked .subject").allTextContents(),
      ["Zebra", "Agenda", "Cake"],
    );
    await bulk.getByRole("button", { name: "Mark read" }).click();
    await bulk.waitFor({ state: "hidden" });
    await page.locator("#message-list li.row.unread").nth(2).waitFor();
    assert.deepEqual(await page.locator("#message-list li.row.unread .subject").allTextContents(), [
      "Re: Trip",
      "Budget",
      "Re: Trip",
    ]);
    const readOnServer = await list("sort=date");
    assert.deepEqual(
      readOnServer.messages.filter((m) => m.flags.includes("\\Seen")).map((m) => m.subject),
      ["Zebra", "Agenda", "Cake", "Trip"],
    );

    // The keyboard: j to the second row, x checks it, j j and X checks the range.
    await page.locator("#message-list").focus();
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await page.keyboard.press("x");
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await page.keyboard.press("Shift+X");
    await bulk.getByText("3 selected").waitFor();
    assert.deepEqual(
      await page.locator("#message-list li.row.checked .subject").allTextContents(),
      ["Zebra", "Agenda", "Cake"],
    );
    await bulk.getByRole("button", { name: "Flag", exact: true }).focus();
    await page.keyboard.press("Enter");
    await bulk.waitFor({ state: "hidden" });
    const flagged = await list("sort=date");
    assert.deepEqual(
      flagged.messages.filter((m) => m.flags.includes("\\Flagged")).map((m) => m.subject),
      ["Zebra", "Agenda", "Cake"],
    );

    // All on the page, then moved to Archive in one request.
    await page.getByLabel("Select all on this page").check();
    await bulk.getByText("7 selected").waitFor();
    await bulk.getByLabel("Move selected to folder").selectOption({ label: "Archive" });
    await page.getByText("No messages").waitFor();
    await page
      .getByRole("navigation", { name: "Folders" })
      .getByRole("link", { name: /Archive/ })
      .click();
    await page.locator("#message-list li.row").nth(6).waitFor();
    assert.equal(await page.locator("#message-list li.row").count(), 7);
    await page.context().close();
  });
});
