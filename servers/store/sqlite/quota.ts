/**
 * Quotas (RFC 9208 STORAGE and MESSAGE resources). Usage lives in the account row and moves in
 * the same transaction as the messages, and the check runs inside the write transaction, so two
 * processes delivering at once can never both squeeze past the limit.
 */
import { StoreError } from "../errors.ts";
import type { QuotaLimits, QuotaUsage } from "../types.ts";
import type { Database } from "./database.ts";

interface UsageRow {
  used_bytes: number;
  used_messages: number;
  quota_bytes: number | null;
  quota_messages: number | null;
}

function usageRow(d: Database): UsageRow {
  return d
    .stmt("SELECT used_bytes, used_messages, quota_bytes, quota_messages FROM account")
    .get() as unknown as UsageRow;
}

export function quotaUsage(d: Database): QuotaUsage {
  const row = usageRow(d);
  return {
    storageBytes: row.used_bytes,
    messages: row.used_messages,
    storageLimit: row.quota_bytes ?? undefined,
    messageLimit: row.quota_messages ?? undefined,
  };
}

/** Throws OVERQUOTA if adding this much would pass a limit. */
export function checkQuota(d: Database, bytes: number, messages: number): void {
  const row = usageRow(d);
  if (row.quota_bytes !== null && bytes > 0 && row.used_bytes + bytes > row.quota_bytes) {
    throw new StoreError("OVERQUOTA", "storage quota exceeded");
  }
  if (
    row.quota_messages !== null &&
    messages > 0 &&
    row.used_messages + messages > row.quota_messages
  ) {
    throw new StoreError("OVERQUOTA", "message count quota exceeded");
  }
}

/** Whether the stored limits differ from these (so a read-only caller can skip the write). */
export function quotaDiffers(d: Database, limits: QuotaLimits): boolean {
  const row = usageRow(d);
  return (
    (row.quota_bytes ?? undefined) !== limits.storageBytes ||
    (row.quota_messages ?? undefined) !== limits.messages
  );
}

export function setQuota(d: Database, limits: QuotaLimits): void {
  d.stmt("UPDATE account SET quota_bytes = ?, quota_messages = ?").run(
    limits.storageBytes ?? null,
    limits.messages ?? null,
  );
}
