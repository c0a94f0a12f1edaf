/**
 * DNS blocklists of client addresses (RFC 5782): the address, octets (IPv4) or nibbles (IPv6)
 * reversed, is looked up under each configured zone; an A record in 127.0.0.0/8 means listed
 * (§2.1). 127.255.255.0/24 answers are the lists' error codes (query refused, rate limited)
 * and are not listings. No zone is configured by default; trusted clients are not looked up.
 */
import { isIP } from "node:net";
import type { Analyzer } from "./context.ts";

export const dnsblAnalyzer: Analyzer = {
  name: "dnsbl",
  async run(ctx) {
    const zones = ctx.config.dnsbl;
    if (zones.length === 0 || ctx.trusted) return;
    const name = reversedAddress(ctx.facts.clientAddress);
    if (name === undefined) return;
    const results = await Promise.all(
      zones.map(async (zone) =>
        (await listed(ctx.deps.resolve, `${name}.${zone}`)) ? zone : undefined,
      ),
    );
    const hits = results.filter((z) => z !== undefined);
    if (hits.length > 0) ctx.add("RBL_LISTED", `${ctx.facts.clientAddress} in ${hits.join(", ")}`);
  },
};

/** "192.0.2.1" -> "1.2.0.192"; IPv6 as 32 reversed nibbles (RFC 5782 §2.4). */
export function reversedAddress(address: string): string | undefined {
  const plain = address.replace(/^::ffff:(?=\d+\.)/i, "");
  if (isIP(plain) === 4) return plain.split(".").reverse().join(".");
  if (isIP(plain) !== 6) return undefined;
  const [head = "", tail = ""] = plain.split("::");
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = groups(tail);
  const full = plain.includes("::")
    ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t]
    : h;
  const hex = full.map((g) => g.padStart(4, "0")).join("");
  return [...hex].reverse().join(".");
}

/** A listing answer: an A record in 127/8 outside the error range 127.255.255/24. */
export async function listed(
  resolve: (name: string, rrtype: string) => Promise<unknown[]>,
  name: string,
): Promise<boolean> {
  try {
    const answers = (await resolve(name, "A")) as string[];
    return answers.some((a) => a.startsWith("127.") && !a.startsWith("127.255.255."));
  } catch {
    // NXDOMAIN is "not listed"; a failure of the list is not a listing either.
    return false;
  }
}
