/** What COPY and MOVE share: the target lookup, the COPYUID code, and Junk learning. */
import type { Account, CopyResult, MailboxInfo } from "../../store/index.ts";
import { no } from "../protocol/errors.ts";
import { formatNumberSet } from "../protocol/sequence-set.ts";
import type { SessionApi } from "../session/command.ts";
import type { StateOf } from "../session/state.ts";

export async function targetMailbox(account: Account, name: string): Promise<MailboxInfo> {
  const target = await account.getMailbox(name);
  if (!target) throw no("Mailbox does not exist", "TRYCREATE");
  return target;
}

/** RFC 4315 COPYUID: source UIDs and target UIDs in corresponding order. */
export function copyUidCode(result: CopyResult): string {
  const pairs = [...result.pairs].sort((a, b) => a[0] - b[0]);
  const ascending = pairs.every((p, i) => i === 0 || p[1] > (pairs[i - 1] as [number, number])[1]);
  const source = pairs.map(([s]) => s);
  const target = pairs.map(([, t]) => t);
  // Ranges keep the order only when both sides ascend together; otherwise list one by one.
  const format = (numbers: number[]) => (ascending ? formatNumberSet(numbers) : numbers.join(","));
  return `COPYUID ${result.uidValidity} ${format(source)} ${format(target)}`;
}

/**
 * Into Junk: learn spam. Out of Junk, anywhere but Trash: learn ham (DESIGN.md imap -> spam).
 * Fire and forget: the learner reads each message from the target later and never blocks us.
 */
export function learnFromTransfer(
  session: SessionApi,
  state: StateOf<"selected">,
  target: MailboxInfo,
  result: CopyResult,
): void {
  const learner = session.services.spam;
  if (!learner || result.pairs.length === 0) return;
  const fromJunk = state.mailbox.status.specialUse === "\\Junk";
  const toJunk = target.specialUse === "\\Junk";
  let verdict: "spam" | "ham" | undefined;
  if (toJunk && !fromJunk) verdict = "spam";
  else if (fromJunk && !toJunk && target.specialUse !== "\\Trash") verdict = "ham";
  if (!verdict) return;
  const { account, user } = state;
  const view = account.openMailbox(target.id);
  for (const [, targetUid] of result.pairs) {
    learner.learn(user.id, verdict, async () => (await view).read(targetUid));
  }
  view.catch((error: unknown) => session.log.warn({ err: error }, "spam learning: no mailbox"));
}
