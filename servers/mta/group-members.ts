/**
 * The remote members of a group. The MDA delivers a group's local members and skips remote
 * ones ("the MTA's to send"), so the MTA expands the group once more for the addresses beyond
 * our domains and hands those to the queue.
 */
import type { Directory, Group } from "../shared/directory/types.ts";
import { classifyAddress } from "./address-policy.ts";
import { MAX_GROUP_DEPTH } from "./limits.ts";

/** Throws DirectoryUnavailableError when the directory cannot answer. */
export async function remoteMembers(
  directory: Directory,
  group: Group,
  domains: readonly string[],
): Promise<string[]> {
  const found = new Set<string>();
  const seen = new Set<string>([group.address.toLowerCase()]);
  const walk = async (members: readonly string[], depth: number): Promise<void> => {
    for (const member of members) {
      const key = member.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      const kind = classifyAddress(member, domains);
      if (kind.kind === "remote") found.add(kind.address);
      else if (kind.kind === "local" && depth < MAX_GROUP_DEPTH) {
        const resolution = await directory.resolve(kind.address);
        if (resolution.kind === "group") await walk(resolution.group.members, depth + 1);
      }
    }
  };
  await walk(group.members, 0);
  return [...found];
}
