/**
 * Settings, signature, address autocompletion and password change in real headless Chromium
 * against the real stack (runner: MDA, MTA, IMAP, webmail as processes; the file directory).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import MailComposer from "nodemailer/lib/mail-composer";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "./testing/browser.ts";
import { startTestStack, type TestStack } from "./testing/stack.ts";

const ALICE = "alice@example.test";
const BOB = "bob@example.test";
const NEW_PASSWORD = "a brand new passphrase for alice";

describe("webmail settings in Chromium", () => {
  let stack: TestStack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function logIn(page: Page, address: string, password: string): Promise<void> {
    await page.getByLabel("Email address").fill(address);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator("body[data-ready=true]").waitFor();
  }

  async function open(address: string, password = stack.passwords[address] ?? ""): Promise<Page> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${stack.origin}/`);
    await logIn(page, address, password);
    return page;
  }

  async function compose(page: Page) {
    await page.getByRole("button", { name: "Compose" }).click();
    const dialog = page.getByRole("dialog");
    await page.locator("dialog[data-signature=ready]").waitFor();
    return dialog;
  }

  before(async () => {
    stack = await startTestStack();
    const raw = await new MailComposer({
      from: "Sam Sender <sam@remote.test>",
      to: ALICE,
      subject: "Question for Alice",
      text: "Are you coming?",
    })
      .compile()
      .build();
    await stack.deliver(ALICE, raw);
    browser = await launchChromium();
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await stack?.stop();
  });

  it("saves a display name and a signature that a later session shows", async () => {
    const page = await open(ALICE);
    await page.getByRole("button", { name: "Settings" }).click();
    const dialog = page.getByRole("dialog", { name: "Settings" });
    await dialog.getByLabel("Display name").fill("Alice Liddell");
    await dialog.getByLabel("Signature").fill("Alice\nWonderland Ltd");
    await dialog.getByRole("button", { name: "Save settings" }).click();
    await dialog.getByText("Settings saved.").waitFor();

    const later = await open(ALICE);
    await later.getByRole("button", { name: "Settings" }).click();
    const again = later.getByRole("dialog", { name: "Settings" });
    assert.equal(await again.getByLabel("Display name").inputValue(), "Alice Liddell");
    assert.equal(await again.getByLabel("Signature").inputValue(), "Alice\nWonderland Ltd");
  });

  it("puts the signature into a new message and above the quote of a reply", async () => {
    const page = await open(ALICE);
    const dialog = await compose(page);
    assert.equal(
      await dialog.getByLabel("Message", { exact: true }).inputValue(),
      "\n\n-- \nAlice\nWonderland Ltd",
    );
    await dialog.getByRole("button", { name: "Discard" }).click();

    await page.getByRole("option").filter({ hasText: "Question for Alice" }).first().click();
    await page.locator("#message-subject", { hasText: "Question for Alice" }).waitFor();
    await page.getByRole("button", { name: "Reply", exact: true }).click();
    await page.locator("dialog[data-signature=ready]").waitFor();
    const text = await page.getByRole("dialog").getByLabel("Message", { exact: true }).inputValue();
    assert.match(text, /^\n\n-- \nAlice\nWonderland Ltd\n\nOn .* wrote:\n> Are you coming\?/);
  });

  it("completes an address with the keyboard and sends with the display name", async () => {
    const page = await open(ALICE);
    const dialog = await compose(page);
    const to = dialog.getByRole("combobox", { name: "To", exact: true });
    const suggestions = dialog.getByRole("listbox", { name: "Suggested addresses" });
    await to.pressSequentially("bo");
    await suggestions.getByRole("option", { name: /bob@example\.test/ }).waitFor();
    assert.equal(await to.getAttribute("aria-expanded"), "true");
    await to.press("ArrowDown");
    assert.equal(
      await to.getAttribute("aria-activedescendant"),
      await suggestions.getByRole("option").first().getAttribute("id"),
    );
    await to.press("Enter");
    assert.equal(await to.inputValue(), "bob <bob@example.test>, ");
    assert.equal(await to.getAttribute("aria-expanded"), "false");

    // Escape closes the list, not the dialog.
    const cc = dialog.getByRole("combobox", { name: "Cc", exact: true });
    await cc.pressSequentially("ali");
    await dialog
      .getByRole("listbox", { name: "Suggested addresses" })
      .getByRole("option")
      .first()
      .waitFor();
    await cc.press("Escape");
    assert.equal(await cc.getAttribute("aria-expanded"), "false");
    assert.equal(await dialog.isVisible(), true);
    await cc.fill("");

    await dialog.getByLabel("Subject", { exact: true }).fill("Completed by keyboard");
    await dialog.getByRole("button", { name: "Send" }).click();
    await page.getByRole("status").filter({ hasText: "Message sent." }).waitFor();

    const bob = await open(BOB);
    const row = bob.getByRole("option").filter({ hasText: "Completed by keyboard" });
    await row.waitFor();
    assert.match((await row.textContent()) ?? "", /Alice Liddell/);
  });

  it("suggests the senders of the folder pages it has shown", async () => {
    const page = await open(ALICE);
    const dialog = await compose(page);
    const to = dialog.getByRole("combobox", { name: "To", exact: true });
    await to.pressSequentially("sam");
    const option = dialog
      .getByRole("listbox", { name: "Suggested addresses" })
      .getByRole("option", { name: /sam@remote\.test/ });
    await option.waitFor();
    assert.match((await option.textContent()) ?? "", /Sam Sender/);
    await to.press("ArrowDown");
    await to.press("Tab");
    assert.equal(await to.inputValue(), "Sam Sender <sam@remote.test>, ");
  });

  it("changes the password; the new one logs in, the old one does not", async () => {
    const page = await open(ALICE);
    await page.getByRole("button", { name: "Settings" }).click();
    const dialog = page.getByRole("dialog", { name: "Settings" });
    await dialog.getByLabel("Current password").fill(stack.passwords[ALICE] ?? "");
    await dialog.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await dialog.getByLabel("New password again").fill(NEW_PASSWORD);
    await dialog.getByRole("button", { name: "Change password" }).click();
    await dialog.getByText("Password changed.").waitFor();
    // The session ended: the page returns to the login form.
    await page.getByLabel("Email address").waitFor();

    await page.getByLabel("Email address").fill(ALICE);
    await page.getByLabel("Password").fill(stack.passwords[ALICE] ?? "");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByText("Wrong address or password.").waitFor();

    // The IMAP server reads the changed directory within moments: try until it has.
    const fresh = await open(ALICE, NEW_PASSWORD).catch(() => open(ALICE, NEW_PASSWORD));
    await fresh.getByRole("option").filter({ hasText: "Question for Alice" }).first().waitFor();
  });
});
