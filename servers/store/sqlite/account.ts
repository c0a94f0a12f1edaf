/** Account on the embedded backend: a handle on the shared AccountCore, released by close(). */
import { StoreError } from "../errors.ts";
import type {
  Account,
  AppendOptions,
  AppendResult,
  MailboxInfo,
  MailboxStatus,
  MailboxView,
  QuotaLimits,
  QuotaUsage,
  SpecialUse,
  StoreEvent,
} from "../types.ts";
import { settle } from "./settle.ts";
import type { AccountCore } from "./account-core.ts";
import { moveAll } from "./copy-move.ts";
import { listKeywords } from "./keywords.ts";
import {
  createMailbox,
  deleteMailbox,
  listMailboxes,
  listSubscriptions,
  mailboxByRole,
  mailboxInfo,
  renameMailbox,
  requireMailbox,
  setSubscribed,
  toInfo,
  toStatus,
} from "./mailboxes.ts";
import { SqliteMailboxView } from "./mailbox-view.ts";
import { quotaUsage, setQuota } from "./quota.ts";

export class SqliteAccount implements Account {
  private closed = false;
  private readonly unwatch = new Set<() => void>();

  constructor(
    private readonly core: AccountCore,
    private readonly release: () => void,
  ) {}

  get userId(): string {
    return this.core.userId;
  }

  private get d() {
    if (this.closed) throw new StoreError("UNAVAILABLE", "the account handle is closed");
    return this.core.d;
  }

  listMailboxes(): Promise<MailboxInfo[]> {
    return settle(() => listMailboxes(this.d));
  }

  listSubscriptions(): Promise<string[]> {
    return settle(() => listSubscriptions(this.d));
  }

  getMailbox(nameOrId: string | number): Promise<MailboxInfo | undefined> {
    return settle(() => mailboxInfo(this.d, nameOrId));
  }

  mailboxByRole(role: SpecialUse): Promise<MailboxInfo> {
    return settle(() => {
      const d = this.d;
      // Most calls find the mailbox; only a missing one costs a write transaction.
      const found = d.stmt("SELECT id FROM mailboxes WHERE special_use = ?").get(role) as
        { id: number } | undefined;
      if (found) return mailboxInfo(d, found.id) ?? this.createRole(role);
      return this.createRole(role);
    });
  }

  private createRole(role: SpecialUse): MailboxInfo {
    const d = this.d;
    const row = this.core.write(() => mailboxByRole(d, role));
    return mailboxInfo(d, row.id) ?? toInfo(row, false);
  }

  createMailbox(name: string, options: { specialUse?: SpecialUse } = {}): Promise<MailboxInfo> {
    return settle(() => {
      const d = this.d;
      const row = this.core.write(() => createMailbox(d, name, options.specialUse ?? null));
      return toInfo(row, false);
    });
  }

  renameMailbox(from: string, to: string): Promise<void> {
    return settle(() => {
      const d = this.d;
      this.core.write(() =>
        renameMailbox(d, from, to, (inbox, target) => moveAll(d, inbox.id, target.id)),
      );
    });
  }

  deleteMailbox(name: string): Promise<void> {
    return settle(() => {
      const d = this.d;
      this.core.write(() => deleteMailbox(d, name));
    });
  }

  setSubscribed(name: string, subscribed: boolean): Promise<void> {
    return settle(() => {
      const d = this.d;
      this.core.write(() => setSubscribed(d, name, subscribed));
    });
  }

  status(nameOrId: string | number): Promise<MailboxStatus> {
    return settle(() => toStatus(this.d, requireMailbox(this.d, nameOrId)));
  }

  keywords(): Promise<string[]> {
    return settle(() => listKeywords(this.d));
  }

  openMailbox(nameOrId: string | number): Promise<MailboxView> {
    return settle(() => new SqliteMailboxView(this.core, requireMailbox(this.d, nameOrId).id));
  }

  append(
    mailbox: string | number,
    raw: Uint8Array,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    if (this.closed) {
      return Promise.reject(new StoreError("UNAVAILABLE", "the account handle is closed"));
    }
    return this.core.appends.append(mailbox, raw, options);
  }

  quota(): Promise<QuotaUsage> {
    return settle(() => quotaUsage(this.d));
  }

  setQuota(limits: QuotaLimits): Promise<void> {
    return settle(() => {
      const d = this.d;
      this.core.write(() => setQuota(d, limits));
    });
  }

  watch(listener: (event: StoreEvent) => void): () => void {
    if (this.closed) throw new StoreError("UNAVAILABLE", "the account handle is closed");
    const remove = this.core.notifier.add(listener);
    const unwatch = (): void => {
      remove();
      this.unwatch.delete(unwatch);
    };
    this.unwatch.add(unwatch);
    return unwatch;
  }

  close(): Promise<void> {
    return settle(() => {
      if (this.closed) return;
      for (const unwatch of [...this.unwatch]) unwatch();
      this.closed = true;
      this.release();
    });
  }
}
