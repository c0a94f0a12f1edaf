/**
 * The webmail's figures (issue #8), in headless Chromium against the real stack (the local runner:
 * MDA, MTA, IMAP, webmail as processes): time from pressing "Log in" to the inbox's first page
 * painted with 10,000 messages in the inbox (target under 1 s), and time from clicking a message
 * to its body shown (target under 300 ms). Medians of several runs, with min and max.
 *
 *   npx tsx bench/webmail-figures.ts [--messages 10000] [--runs 7]
 */
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { launchChromium } from "../servers/webmail/testing/browser.ts";
import { startTestStack } from "../servers/webmail/testing/stack.ts";
import { openMailStore } from "../servers/store/index.ts";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "10000" },
    runs: { type: "string", default: "7" },
    /** Print each request's time on the wire (the last run). */
    trace: { type: "boolean", default: false },
  },
});
const total = Number(values.messages);
const runs = Number(values.runs);
const USER = "alice@example.test";
const TOPICS = ["invoice", "meeting", "report", "holiday", "release", "budget", "party", "lunch"];

function makeMessage(i: number): Uint8Array {
  const topic = TOPICS[(i * 7) % TOPICS.length] ?? "x";
  const html = `<p>Hello, this is message <b>${i}</b> about the ${topic}.</p>`.repeat(20);
  return Buffer.from(
    [
      `From: Sender ${i % 97} <sender${i % 97}@example.org>`,
      `To: Alice <${USER}>`,
      `Subject: ${topic} number ${i}`,
      `Date: ${1 + (i % 28)} Mar 2026 10:${String(i % 60).padStart(2, "0")}:00 +0100`,
      `Message-ID: <msg-${i}@example.org>`,
      "MIME-Version: 1.0",
      'Content-Type: multipart/alternative; boundary="b"',
      "",
      "--b",
      "Content-Type: text/plain; charset=utf-8",
      "",
      `Hello, this is message ${i} about the ${topic}.`,
      "--b",
      "Content-Type: text/html; charset=utf-8",
      "",
      html,
      "--b--",
      "",
    ].join("\r\n"),
  );
}

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  return `median ${median.toFixed(0)} ms (min ${sorted[0]?.toFixed(0)}, max ${sorted.at(-1)?.toFixed(0)}, n=${sorted.length})`;
}

/**
 * Milliseconds between two performance marks the page sets (client/login.ts, client/app.ts),
 * measured by the browser itself, so the driver's own round trips are not counted. `to` is set
 * two animation frames after the content is in: a frame with it has been painted.
 */
async function between(page: Page, from: string, to: string): Promise<number> {
  await page.waitForFunction((name) => performance.getEntriesByName(name).length > 0, to);
  return page.evaluate(
    ([a, b]) =>
      (performance.getEntriesByName(b)[0]?.startTime ?? NaN) -
      (performance.getEntriesByName(a)[0]?.startTime ?? NaN),
    [from, to] as const,
  );
}

const stack = await startTestStack();
const browser = await launchChromium();
try {
  const store = openMailStore({ dataDir: stack.runner.dataDir });
  const account = await store.openAccount(USER);
  const t0 = performance.now();
  for (let i = 0; i < total; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, total - i) }, (_, j) =>
        account.append("INBOX", makeMessage(i + j), { flags: (i + j) % 4 === 0 ? [] : ["\\Seen"] }),
      ),
    );
  }
  await account.close();
  await store.close();
  console.log(`filled ${total} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const login: number[] = [];
  const open: number[] = [];
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    if (values.trace && run === runs - 1) {
      page.on("requestfinished", (request) => {
        const t = request.timing();
        const path = new URL(request.url()).pathname;
        console.log(`  ${(t.responseEnd - t.requestStart).toFixed(0).padStart(6)} ms  ${path}`);
      });
    }
    await page.goto(`${stack.origin}/`);
    await page.getByLabel("Email address").fill(USER);
    await page.getByLabel("Password").fill(stack.passwords[USER] ?? "");
    await page.getByRole("button", { name: "Log in" }).click();
    login.push(await between(page, "webmail:login", "webmail:first-page-painted"));

    // Open a few messages down the first page.
    for (const index of [1, 5, 9]) {
      const row = page.locator("#message-list li.row").nth(index);
      const subject = (await row.locator(".subject").textContent()) ?? "";
      await page.evaluate(() => performance.clearMarks());
      await row.click();
      await page.locator("#message-subject", { hasText: subject }).waitFor();
      open.push(await between(page, "webmail:open", "webmail:shown"));
    }
    await context.close();
  }
  console.log(`login to first page painted, ${total} messages: ${stats(login)} (target < 1000 ms)`);
  console.log(`open a message (headers and HTML body shown): ${stats(open)} (target < 300 ms)`);
} finally {
  await browser.close();
  await stack.stop();
}
