/**
 * Which addresses an authenticated user may send as (RFC 6409 §6.1 lets the MSA refuse a sender
 * that is not the user's): the user's own address and its plus-forms, the user's aliases, and the
 * groups the user is a direct member of (a team address people reply to). Not a catch-all domain:
 * being the catch-all target of a domain does not make every address there yours.
 */
import addressparser from "nodemailer/lib/addressparser";
import type { Directory, User } from "../../shared/directory/types.ts";
import { classifyAddress } from "../address-policy.ts";

/** Throws DirectoryUnavailableError when the directory cannot answer. */
export async function ownsAddress(
  directory: Directory,
  user: User,
  address: string,
  domains: readonly string[],
): Promise<boolean> {
  const kind = classifyAddress(address, domains);
  if (kind.kind !== "local") return false;
  const resolution = await directory.resolve(kind.address);
  if (resolution.kind === "user") {
    return resolution.user.id === user.id && resolution.via !== "catch-all";
  }
  if (resolution.kind === "group") {
    const mine = new Set([user.address, ...user.aliases].map((a) => a.toLowerCase()));
    return resolution.group.members.some((m) => mine.has(m.toLowerCase()));
  }
  return false;
}

/** The addr-specs of an address field (From, Sender), groups flattened; names dropped. */
export function fieldAddresses(value: string): string[] {
  return addressparser(value, { flatten: true })
    .map((a) => a.address ?? "")
    .filter((a) => a.length > 0);
}
