/**
 * The name the client gave in EHLO/HELO (RFC 5321 §4.1.1.1): a fully qualified domain name, or
 * an address literal in brackets when it has none. A bare IP address breaks the syntax
 * (§4.1.3), a name without a dot is not fully qualified (§2.3.5), and a name with no address in
 * DNS was made up. Trusted clients (local relays) are not judged. DNS failures that are not
 * answers (timeouts, SERVFAIL) say nothing.
 */
import { isIP } from "node:net";
import type { Analyzer } from "./context.ts";

const ADDRESS_LITERAL = /^\[(?:IPv6:)?[0-9a-f.:]+\]$/i;
const ABSENT = new Set(["ENOTFOUND", "ENODATA"]);

export const heloAnalyzer: Analyzer = {
  name: "helo",
  async run(ctx) {
    if (ctx.trusted) return;
    const helo = ctx.facts.helo.trim().replace(/\.$/, "");
    if (helo === "" || ADDRESS_LITERAL.test(helo)) return;
    if (isIP(helo) !== 0) return ctx.add("HELO_BARE_IP", helo);
    if (!helo.includes(".")) return ctx.add("HELO_NOT_FQDN", helo);
    const answers = await Promise.allSettled([
      ctx.deps.resolve(helo, "A"),
      ctx.deps.resolve(helo, "AAAA"),
    ]);
    const absent = answers.every(
      (a) =>
        (a.status === "fulfilled" && a.value.length === 0) ||
        (a.status === "rejected" && ABSENT.has(errorCode(a.reason))),
    );
    if (absent) ctx.add("HELO_NO_RESOLVE", helo);
  },
};

function errorCode(error: unknown): string {
  return error instanceof Error && "code" in error ? String(error.code) : "";
}
