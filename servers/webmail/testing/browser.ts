/** Headless Chromium (Debian's) driven by playwright-core, as ENVIRONMENT.md describes. */
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-background-networking"],
  });
}
