/**
 * Domain blocklists (RFC 5782 §3, "DNSWL/DNSBL for domains", as Spamhaus DBL and SURBL run
 * them): each domain is looked up as `<domain>.<zone>`. Sender domains (MAIL FROM, From,
 * Reply-To) and the registrable domains of linked hosts are checked, each at most once, and at
 * most MAX_LINK_DOMAINS link domains per message. No zone is configured by default.
 */
import { addressDomain } from "../message/parse.ts";
import { baseDomain, urlFacts } from "../message/urls.ts";
import type { Analyzer } from "./context.ts";
import { listed } from "./dnsbl.ts";

const MAX_LINK_DOMAINS = 20;

export const domainBlocklistAnalyzer: Analyzer = {
  name: "domain-blocklist",
  async run(ctx) {
    const zones = ctx.config.domainBlocklists;
    if (zones.length === 0) return;
    const { message, facts } = ctx;
    const senders = new Set<string>();
    for (const domain of [
      addressDomain(facts.mailFrom || undefined),
      addressDomain(message.addresses("from")[0]),
      addressDomain(message.addresses("reply-to")[0]),
    ]) {
      if (domain !== undefined && !domain.startsWith("[")) senders.add(baseDomain(domain));
    }
    const linked = new Set<string>();
    for (const link of message.links) {
      const host = urlFacts(link.url);
      if (!host || host.ipLiteral) continue;
      linked.add(baseDomain(host.host));
      if (linked.size >= MAX_LINK_DOMAINS) break;
    }
    const check = async (domains: Set<string>): Promise<string[]> => {
      const hits = await Promise.all(
        [...domains].flatMap((d) =>
          zones.map(async (z) =>
            (await listed(ctx.deps.resolve, `${d}.${z}`)) ? `${d} in ${z}` : undefined,
          ),
        ),
      );
      return hits.filter((h) => h !== undefined);
    };
    const [senderHits, linkHits] = await Promise.all([check(senders), check(linked)]);
    if (senderHits.length > 0) ctx.add("DBL_SENDER", senderHits.join(", "));
    if (linkHits.length > 0) ctx.add("DBL_URL", linkHits.join(", "));
  },
};
