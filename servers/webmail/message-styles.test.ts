/**
 * A newsletter's <style> blocks in real headless Chromium: its rules apply to the message (and
 * only to it), a fixed overlay does not stay fixed, and nothing in the sheet reaches the network
 * before the user allows images; after that, only the background image does (no @import, web
 * font or cursor). The frame's CSP is the second wall behind the sanitizer.
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import MailComposer from "nodemailer/lib/mail-composer";
import type { Browser } from "playwright-core";
import { launchChromium } from "./testing/browser.ts";
import { startListener, type Listener } from "./testing/listener.ts";
import { startTestStack, type TestStack } from "./testing/stack.ts";

const ALICE = "alice@example.test";

/** The page's getComputedStyle, typed here (this project's types are Node's, not the DOM's). */
interface StyleWindow {
  getComputedStyle(element: unknown): { getPropertyValue(property: string): string };
}
const computed = (element: unknown, property: string) =>
  (globalThis as unknown as StyleWindow).getComputedStyle(element).getPropertyValue(property);
const OUTPUT = join(import.meta.dirname, "test-output");

function newsletter(base: string): string {
  return `<html><head><style>
    @import url(${base}/import.css);
    @font-face { font-family: Brand; src: url(${base}/font.woff) }
    body { background: #fafafa; margin: 0 }
    .btn { color: #ffffff; background-color: #1f5fbf; font-family: Brand, sans-serif; padding: 8px }
    .hero { background: #eeeeee url(${base}/hero.png) no-repeat; height: 40px }
    a { cursor: url(${base}/cursor.cur), pointer }
    .overlay { position: fixed; top: 0; left: 0; width: 100%; height: 100%; background: #fff }
    @media (min-width: 1px) { .wide { border: 2px solid #ff0000 } }
  </style></head><body>
    <div class="hero">Spring sale</div>
    <p class="wide"><a class="btn" href="https://shop.example/">Shop now</a></p>
    <div class="overlay">Your session has expired</div>
  </body></html>`;
}

describe("a newsletter's style sheet in Chromium", () => {
  let stack: TestStack;
  let browser: Browser;
  let listener: Listener;

  before(async () => {
    await mkdir(OUTPUT, { recursive: true });
    stack = await startTestStack();
    listener = await startListener(stack.tls);
    const raw = await new MailComposer({
      from: "Shop <news@shop.example>",
      to: ALICE,
      subject: "Spring sale",
      html: newsletter(listener.base),
    })
      .compile()
      .build();
    await stack.deliver(ALICE, raw);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await listener?.close();
    await stack?.stop();
  });

  it("applies the message's rules to it alone, and loads nothing until images are allowed", async () => {
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 860 },
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${stack.origin}/`);
    await page.getByLabel("Email address").fill(ALICE);
    await page.getByLabel("Password").fill(stack.passwords[ALICE] ?? "");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator("body[data-ready=true]").waitFor();
    await page.getByRole("option").filter({ hasText: "Spring sale" }).click();
    const frame = page.frameLocator("iframe.body");
    const button = frame.locator("a.btn");
    await button.waitFor();

    const style = (selector: string, property: string) =>
      frame.locator(selector).evaluate(computed, property);
    assert.equal(await style("a.btn", "color"), "rgb(255, 255, 255)");
    assert.equal(await style("a.btn", "background-color"), "rgb(31, 95, 191)");
    assert.equal(await style(".wide", "border-top-color"), "rgb(255, 0, 0)");
    assert.equal(await style(".hero", "background-color"), "rgb(238, 238, 238)");
    assert.equal(await style(".hero", "background-image"), "none");
    // "body" meant the message's element, not the frame's body.
    assert.equal(await style("[data-mailstack-message]", "background-color"), "rgb(250, 250, 250)");
    assert.equal(await style("body", "background-color"), "rgba(0, 0, 0, 0)");
    assert.notEqual(await style(".overlay", "position"), "fixed");
    await page.screenshot({ path: join(OUTPUT, "newsletter.png") });
    assert.deepEqual(listener.requests, [], "no remote request before images are allowed");

    await page.getByRole("button", { name: "Show images" }).click();
    const hero = page.frameLocator("iframe.body").locator(".hero");
    await hero.waitFor();
    // The background comes from the listener once allowed; wait until it has been asked for.
    const asked = () => [...listener.requests];
    for (let i = 0; i < 150 && !asked().includes("/hero.png"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(asked(), ["/hero.png"]);
    assert.match(
      await hero.evaluate(computed, "background-image"),
      /^url\("https:\/\/127\.0\.0\.1:\d+\/hero\.png"\)$/,
    );
    await context.close();
  });
});
