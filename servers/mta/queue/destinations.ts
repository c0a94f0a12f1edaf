/**
 * Which recipients of a message are due, grouped by where they go: every local recipient to the
 * MDA (one LMTP transaction), every remote domain to its own MX lookup and connection
 * (RFC 5321 §5.1 routes by domain). The key also names the destination for the throttle.
 */
import type { Destination } from "../outbound/delivery.ts";
import { domainOf } from "./envelope.ts";
import type { MessageState, StoredEnvelope } from "./records.ts";

export interface DueGroup {
  readonly key: string;
  readonly destination: Destination;
  readonly indexes: number[];
}

export function dueByDestination(
  envelope: StoredEnvelope,
  state: MessageState,
  now: number,
  localDomains: ReadonlySet<string>,
): DueGroup[] {
  const groups = new Map<string, DueGroup>();
  state.recipients.forEach((r, index) => {
    const recipient = envelope.recipients[index];
    if (!recipient || r.status !== "pending" || r.nextAttemptAt > now) return;
    const domain = domainOf(recipient.address);
    const local = localDomains.has(domain);
    const key = local ? "lmtp" : `mx:${domain}`;
    let group = groups.get(key);
    if (!group) {
      const destination: Destination = local ? { kind: "lmtp" } : { kind: "mx", domain };
      group = { key, destination, indexes: [] };
      groups.set(key, group);
    }
    group.indexes.push(index);
  });
  return [...groups.values()];
}
