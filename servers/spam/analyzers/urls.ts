/**
 * Links, as a phisher writes them: to a bare IP address; with the host hidden (a trusted name as
 * userinfo before the real host, percent-encoded host characters, an IPv4 address as one
 * number); with link text that shows one domain while the link goes to another; through a URL
 * shortener that hides the destination.
 */
import { baseDomain, urlFacts } from "../message/urls.ts";
import type { Analyzer } from "./context.ts";

export const SHORTENERS = new Set([
  "bit.ly", "bitly.com", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly",
  "cutt.ly", "tiny.cc", "shorturl.at", "rb.gy", "t.ly", "s.id", "v.gd", "lnkd.in", "tr.im",
  "shorte.st", "adf.ly", "bl.ink", "soo.gd", "clck.ru", "qr.ae", "urlz.fr", "x.co", "u.to",
]); // prettier-ignore

/** Link text that is itself a URL or a bare host name. */
const SHOWN_URL = /^(?:(?:https?:\/\/)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?::\d+)?(?:[/?#]\S*)?)$/i;

export const urlsAnalyzer: Analyzer = {
  name: "urls",
  run(ctx) {
    const shorteners = new Set([...SHORTENERS, ...ctx.config.extraShorteners]);
    let ipLiteral: string | undefined;
    let obfuscated: string | undefined;
    let mismatch: string | undefined;
    let shortener: string | undefined;
    for (const link of ctx.message.links) {
      const facts = urlFacts(link.url);
      if (!facts) continue;
      if (facts.obfuscation.length > 0)
        obfuscated ??= `${facts.obfuscation.join("+")}: ${facts.host}`;
      else if (facts.ipLiteral) ipLiteral ??= facts.host;
      if (shorteners.has(facts.host) || shorteners.has(facts.host.replace(/^www\./, "")))
        shortener ??= facts.host;
      if (link.source === "href" && link.text !== undefined && !facts.ipLiteral) {
        const shown = SHOWN_URL.exec(link.text.trim())?.[1]?.toLowerCase();
        if (shown !== undefined && baseDomain(shown) !== baseDomain(facts.host)) {
          mismatch ??= `${shown} -> ${facts.host}`;
        }
      }
    }
    if (ipLiteral !== undefined) ctx.add("URL_IP_LITERAL", ipLiteral);
    if (obfuscated !== undefined) ctx.add("URL_OBFUSCATED", obfuscated);
    if (mismatch !== undefined) ctx.add("URL_TEXT_MISMATCH", mismatch);
    if (shortener !== undefined) ctx.add("URL_SHORTENER", shortener);
  },
};
