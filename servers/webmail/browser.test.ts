/**
 * The webmail in real headless Chromium against the real stack (MDA, MTA, IMAP, webmail as
 * processes): log in, read, send to another user who sees it arrive without a reload, reply with
 * an attachment, Junk and back, search, log out; hostile HTML opened with a check that nothing
 * ran and nothing remote loaded until images were allowed. Screenshots go to test-output/.
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import MailComposer from "nodemailer/lib/mail-composer";
import type Mail from "nodemailer/lib/mailer";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "./testing/browser.ts";
import { hostileHtml } from "./testing/hostile-html.ts";
import { startListener, type Listener } from "./testing/listener.ts";
import { fetchFrom, startTestStack, type TestStack } from "./testing/stack.ts";

const ALICE = "alice@example.test";
const BOB = "bob@example.test";
const OUTPUT = join(import.meta.dirname, "test-output");

function raw(options: Mail.Options): Promise<Buffer> {
  return new MailComposer({ from: "Sam Sender <sam@remote.test>", ...options }).compile().build();
}

describe("webmail in Chromium", () => {
  let stack: TestStack;
  let browser: Browser;
  let listener: Listener;
  let alice: Page;
  let bob: Page;
  const contexts: BrowserContext[] = [];
  const dialogs: string[] = [];

  async function open(address: string, width = 1280): Promise<Page> {
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width, height: 860 },
    });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${stack.origin}/`);
    await page.getByLabel("Email address").fill(address);
    await page.getByLabel("Password").fill(stack.passwords[address] ?? "");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator("body[data-ready=true]").waitFor();
    return page;
  }

  const row = (page: Page, subject: string) =>
    page.getByRole("option").filter({ hasText: subject });

  async function openMessage(page: Page, subject: string): Promise<void> {
    await row(page, subject).first().click();
    await page.locator("#message-subject", { hasText: subject }).waitFor();
    // The body frame has loaded this message (the frame is reused: it says when it is done).
    await page.locator("iframe.body:not([data-loading])").waitFor();
    await page.frameLocator("iframe.body").locator("body").waitFor({ state: "attached" });
  }

  before(async () => {
    await mkdir(OUTPUT, { recursive: true });
    stack = await startTestStack();
    listener = await startListener(stack.tls);
    await stack.deliver(
      ALICE,
      await raw({ to: ALICE, subject: "Welcome aboard", text: "Hello Alice, welcome." }),
    );
    await stack.deliver(
      ALICE,
      await raw({
        to: ALICE,
        subject: "Quarterly report",
        text: "The report is attached.",
        html: `<h1 style="color:#1f5fbf">Quarterly report</h1><p>The <b>numbers</b> look good.</p><img src="${listener.base}/newsletter-logo.gif" alt="remote logo">`,
        attachments: [
          { filename: "report.pdf", content: "%PDF-1.4\n", contentType: "application/pdf" },
        ],
      }),
    );
    browser = await launchChromium();
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await listener?.close();
    await stack?.stop();
  });

  it("logs in and shows the inbox", async () => {
    alice = await open(ALICE);
    await row(alice, "Quarterly report").waitFor();
    assert.equal(await row(alice, "Welcome aboard").count(), 1);
    const inbox = alice.getByRole("navigation", { name: "Folders" }).getByRole("link", {
      name: /Inbox/,
    });
    assert.match((await inbox.textContent()) ?? "", /Inbox\s*2/);
    await alice.screenshot({ path: join(OUTPUT, "inbox.png") });
  });

  it("reads a message: headers, attachment, remote images held back until allowed", async () => {
    await openMessage(alice, "Quarterly report");
    const frame = alice.frameLocator("iframe.body");
    assert.equal(await frame.locator("b").textContent(), "numbers");
    await alice.getByRole("link", { name: /report\.pdf/ }).waitFor();
    await alice.screenshot({ path: join(OUTPUT, "message.png") });
    assert.deepEqual(listener.requests, [], "no remote request before images are allowed");
    await alice.getByRole("button", { name: "Show images" }).click();
    await alice
      .frameLocator("iframe.body")
      .locator('img[alt="remote logo"]')
      .evaluate((img: { complete: boolean; onload: unknown }) =>
        img.complete ? undefined : new Promise((resolve) => (img.onload = resolve)),
      );
    assert.deepEqual(listener.requests, ["/newsletter-logo.gif"]);
    listener.requests.length = 0;
  });

  it("sends to Bob, who sees it arrive without reloading", async () => {
    bob = await open(BOB);
    await alice.getByRole("button", { name: "Compose" }).click();
    const dialog = alice.getByRole("dialog");
    await dialog.getByLabel("To", { exact: true }).fill(BOB);
    await dialog.getByLabel("Subject", { exact: true }).fill("Lunch on Friday?");
    await dialog.getByLabel("Message", { exact: true }).fill("Noon at the usual place?");
    await dialog.getByRole("button", { name: "Send" }).click();
    await alice.getByRole("status").filter({ hasText: "Message sent." }).waitFor();
    // No reload on Bob's side: the event stream brings it.
    await row(bob, "Lunch on Friday?").waitFor();
  });

  it("Bob replies with an attachment; Alice gets it, marked as having one", async () => {
    await openMessage(bob, "Lunch on Friday?");
    await bob.getByRole("button", { name: "Reply", exact: true }).click();
    const dialog = bob.getByRole("dialog");
    assert.equal(await dialog.getByLabel("To", { exact: true }).inputValue(), ALICE);
    assert.equal(
      await dialog.getByLabel("Subject", { exact: true }).inputValue(),
      "Re: Lunch on Friday?",
    );
    await dialog.getByLabel("Attach files", { exact: true }).setInputFiles({
      name: "menu.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("Soup of the day\n"),
    });
    await dialog.getByText("menu.txt").waitFor();
    await dialog.getByLabel("Message", { exact: true }).press("Control+Home");
    await dialog.getByLabel("Message", { exact: true }).pressSequentially("Yes! Menu attached.");
    await dialog.getByRole("button", { name: "Send" }).click();
    await bob.getByRole("status").filter({ hasText: "Message sent." }).waitFor();

    const reply = row(alice, "Re: Lunch on Friday?");
    await reply.waitFor();
    assert.equal(await reply.getByLabel("has attachment").count(), 1);
    await openMessage(alice, "Re: Lunch on Friday?");
    await alice.getByRole("link", { name: /menu\.txt/ }).waitFor();
    assert.match(
      (await alice.frameLocator("iframe.body").locator("body").textContent()) ?? "",
      /Yes! Menu attached\.[\s\S]*> Noon at the usual place\?/,
    );
  });

  it("moves a message to Junk and back", async () => {
    await openMessage(alice, "Welcome aboard");
    await alice.getByRole("button", { name: "Spam", exact: true }).click();
    await row(alice, "Welcome aboard").waitFor({ state: "detached" });
    const folders = alice.getByRole("navigation", { name: "Folders" });
    await folders.getByRole("link", { name: /Junk/ }).click();
    await openMessage(alice, "Welcome aboard");
    await alice.getByRole("button", { name: "Not spam" }).click();
    await row(alice, "Welcome aboard").waitFor({ state: "detached" });
    await folders.getByRole("link", { name: /Inbox/ }).click();
    await row(alice, "Welcome aboard").waitFor();
  });

  it("moves by dragging a message onto a folder, and back with the Move menu", async () => {
    const folders = alice.getByRole("navigation", { name: "Folders" });
    await row(alice, "Welcome aboard").dragTo(folders.getByRole("link", { name: /Archive/ }));
    await row(alice, "Welcome aboard").waitFor({ state: "detached" });
    await folders.getByRole("link", { name: /Archive/ }).click();
    await openMessage(alice, "Welcome aboard");
    await alice.getByLabel("Move to folder").selectOption({ label: "Inbox" });
    await row(alice, "Welcome aboard").waitFor({ state: "detached" });
    await folders.getByRole("link", { name: /Inbox/ }).click();
    await row(alice, "Welcome aboard").waitFor();
  });

  it("searches the folder on the server", async () => {
    await alice.getByLabel("Search mail").fill("subject:quarterly");
    await alice.getByLabel("Search mail").press("Enter");
    await row(alice, "Welcome aboard").waitFor({ state: "detached" });
    assert.deepEqual(
      await alice
        .locator("#message-list")
        .getByRole("option")
        .allTextContents()
        .then((t) => t.length),
      1,
    );
    await row(alice, "Quarterly report").waitFor();
  });

  it("works with the keyboard: j/k to move, Enter to open, Escape to go back", async () => {
    const phone = await open(ALICE, 390);
    await phone.locator("#message-list").focus();
    await phone.keyboard.press("j");
    await phone.keyboard.press("Enter");
    await phone.locator("#message-subject").waitFor();
    // On a phone the list gives way to the message, and comes back.
    assert.equal(await phone.locator("#message-list").isVisible(), false);
    await phone.screenshot({ path: join(OUTPUT, "phone-message.png") });
    await phone.keyboard.press("Escape");
    await phone.locator("#message-list").waitFor({ state: "visible" });
  });

  it("opens hostile HTML messages: no script runs, nothing remote loads", async () => {
    const cases = hostileHtml(listener.base);
    for (const [name, html] of cases) {
      await stack.deliver(ALICE, await raw({ to: ALICE, subject: `Hostile: ${name}`, html }));
    }
    const page = await open(ALICE);
    for (const [name] of cases) {
      await page.getByLabel("Search mail").fill(`subject:"Hostile: ${name}"`);
      await page.getByLabel("Search mail").press("Enter");
      await openMessage(page, `Hostile: ${name}`);
      // Give links a click too: javascript: and data: targets must do nothing.
      const links = page.frameLocator("iframe.body").locator("a");
      for (let i = 0; i < (await links.count()); i++) await links.nth(i).click();
      const frameScripts = await page
        .frameLocator("iframe.body")
        .locator("script, iframe, object, embed, form, meta[http-equiv], base, link")
        .count();
      assert.equal(frameScripts, 0, name);
    }
    assert.deepEqual(listener.requests, [], "nothing reached the listener");
    assert.deepEqual(dialogs, []);
    assert.equal(await page.evaluate("window.__pwned"), undefined);
  });

  it("logs out: the login form returns and the old session is dead", async () => {
    const cookies = await alice.context().cookies();
    const session = cookies.find((c) => c.name === "__Host-mailstack-session");
    assert.ok(session?.httpOnly && session.secure && session.sameSite === "Strict");
    await alice.getByRole("button", { name: "Log out" }).click();
    await alice.getByLabel("Email address").waitFor();
    const reply = await fetchFrom(stack, "/api/session", {
      headers: { cookie: `${session.name}=${session.value}` },
    });
    assert.equal(reply.status, 401);
  });
});
