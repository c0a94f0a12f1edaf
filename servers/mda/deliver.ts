/**
 * Delivery of one message to one LMTP recipient: the recipient's resolution (from RCPT time)
 * becomes one or more mailboxes, each gets the message with its trace headers, and the outcome
 * becomes that recipient's reply (RFC 2033 §4.2: one reply per recipient after DATA).
 */
import { createHash } from "node:crypto";
import type { Logger } from "../shared/log.ts";
import type { Directory, Resolution, User } from "../shared/directory/types.ts";
import { isStoreError, type MailStore } from "../store/index.ts";
import type { MdaConfig } from "./config.ts";
import { REPLIES, type Reply } from "./replies.ts";
import {
  headerFields,
  messageId,
  traceHeaders,
  trustedJunkVerdict,
  type TraceFacts,
} from "./trace-headers.ts";

export interface DeliveryContext {
  readonly config: MdaConfig;
  /** The store keeps each account's database open between deliveries; handles are cheap. */
  readonly store: MailStore;
  readonly directory: Directory;
  readonly log: Logger;
}

export interface Message {
  readonly raw: Buffer;
  readonly trace: Omit<TraceFacts, "recipient">;
}

/** Groups may contain groups; this bounds the expansion (and breaks cycles). */
const MAX_GROUP_DEPTH = 5;

type Outcome =
  { readonly ok: true; readonly stored: boolean } | { readonly ok: false; readonly reply: Reply };

export async function deliverToRecipient(
  context: DeliveryContext,
  message: Message,
  recipient: string,
  resolution: Resolution,
): Promise<Reply | undefined> {
  if (resolution.kind === "user") {
    const outcome = await deliverToUser(
      context,
      message,
      recipient,
      resolution.user,
      resolution.detail,
    );
    return outcome.ok ? undefined : outcome.reply;
  }
  if (resolution.kind === "unknown") return REPLIES.unknownUser;

  // A group: every local member gets a copy. A member's permanent failure (a full mailbox) must
  // not bounce the list for everyone, so it is logged; a temporary one makes the sender retry the
  // whole recipient, which is safe because members who already have it get no second copy (dedupe).
  const users = await expandGroup(
    context,
    resolution.group.members,
    new Set([resolution.group.address]),
    0,
  );
  let retry: Reply | undefined;
  for (const user of users) {
    const outcome = await deliverToUser(context, message, recipient, user, resolution.detail);
    if (outcome.ok) continue;
    if (outcome.reply.code >= 500) {
      context.log.warn(
        { group: recipient, member: user.address, code: outcome.reply.code },
        "group member not delivered",
      );
    } else {
      retry = outcome.reply;
    }
  }
  return retry;
}

async function expandGroup(
  context: DeliveryContext,
  members: readonly string[],
  seen: Set<string>,
  depth: number,
): Promise<User[]> {
  const users = new Map<string, User>();
  for (const member of members) {
    if (seen.has(member)) continue;
    seen.add(member);
    const resolution = await context.directory.resolve(member);
    if (resolution.kind === "user") users.set(resolution.user.id, resolution.user);
    else if (resolution.kind === "group" && depth < MAX_GROUP_DEPTH) {
      for (const user of await expandGroup(context, resolution.group.members, seen, depth + 1)) {
        users.set(user.id, user);
      }
    } else if (resolution.kind === "unknown" && !resolution.localDomain) {
      // Remote members are the MTA's to send; mail reaching the MDA is local delivery only.
      context.log.info({ member }, "remote group member skipped by local delivery");
    }
  }
  return [...users.values()];
}

async function deliverToUser(
  context: DeliveryContext,
  message: Message,
  recipient: string,
  user: User,
  detail: string | undefined,
): Promise<Outcome> {
  const { config, log } = context;
  let account;
  try {
    account = await context.store.openAccount(user.id, {
      quota: { storageBytes: user.quotaBytes },
    });
    const fields = headerFields(message.raw);
    let mailbox: string | number = "INBOX";
    if (trustedJunkVerdict(fields)) {
      mailbox = (await account.mailboxByRole("\\Junk")).id;
    } else if (config.plusFolders && detail) {
      const folder = (await account.listMailboxes()).find(
        (m) => m.name.toLowerCase() === detail.toLowerCase(),
      );
      if (folder) mailbox = folder.id;
    }
    const full = Buffer.concat([
      Buffer.from(traceHeaders({ ...message.trace, recipient }), "latin1"),
      message.raw,
    ]);
    const dedupeKey =
      messageId(fields) ?? createHash("sha256").update(message.raw).digest("base64url");
    const result = await account.append(mailbox, full, {
      ...(config.dedupeWindowSeconds > 0
        ? { dedupe: { key: dedupeKey, windowMs: config.dedupeWindowSeconds * 1000 } }
        : {}),
    });
    log.info(
      {
        to: recipient,
        user: user.id,
        mailbox,
        size: full.length,
        duplicate: result.duplicate,
        id: message.trace.id,
      },
      result.duplicate ? "duplicate dropped" : "delivered",
    );
    return { ok: true, stored: !result.duplicate };
  } catch (error) {
    if (isStoreError(error, "OVERQUOTA")) {
      log.info({ to: recipient, user: user.id }, "over quota");
      return {
        ok: false,
        reply: config.overQuota === "temporary" ? REPLIES.overQuotaTemporary : REPLIES.overQuota,
      };
    }
    log.error({ err: error, to: recipient, user: user.id }, "delivery failed");
    return { ok: false, reply: REPLIES.storageFailure };
  } finally {
    await account?.close().catch(() => undefined);
  }
}
