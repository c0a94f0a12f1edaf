/**
 * Address-in-network tests for trustedNetworks, on node:net's BlockList. An IPv4-mapped IPv6
 * address (::ffff:192.0.2.1, as a dual-stack socket reports IPv4 clients) is tested as IPv4.
 */
import { BlockList, isIP } from "node:net";

const lists = new WeakMap<readonly string[], BlockList>();

function blockList(cidrs: readonly string[]): BlockList {
  let list = lists.get(cidrs);
  if (!list) {
    list = new BlockList();
    for (const cidr of cidrs) {
      const [address = "", bits] = cidr.split("/");
      const family = isIP(address) === 6 ? "ipv6" : "ipv4";
      const prefix = bits === undefined ? (family === "ipv4" ? 32 : 128) : Number(bits);
      list.addSubnet(address, prefix, family);
    }
    lists.set(cidrs, list);
  }
  return list;
}

export function inNetworks(address: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return false;
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
  const family = isIP(plain);
  if (family === 0) return false;
  return blockList(cidrs).check(plain, family === 4 ? "ipv4" : "ipv6");
}
