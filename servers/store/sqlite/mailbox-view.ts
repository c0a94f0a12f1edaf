/** MailboxView on the embedded backend: every call goes to the account's shared connection. */
import type { SearchKey } from "../search-key.ts";
import type {
  Changes,
  CopyResult,
  ExpungeOptions,
  FlagOperation,
  MailboxStatus,
  MailboxView,
  MessageMetadata,
  MessageSummary,
  Section,
  SortCriterion,
  StoreFlagsOptions,
  StoreFlagsResult,
  ThreadFacts,
  UidSet,
} from "../types.ts";
import { settle } from "./settle.ts";
import type { AccountCore } from "./account-core.ts";
import { changesSince, claimRecent } from "./changes.ts";
import { copyMessages, moveMessages } from "./copy-move.ts";
import { requireMailbox, toStatus } from "./mailboxes.ts";
import { removeMessages } from "./message-rows.ts";
import { listMessages, messageMetadata, readMessage, readSection } from "./read.ts";
import { search } from "./search.ts";
import { sort, threadFacts } from "./sort.ts";
import { storeFlags } from "./store-flags.ts";

export class SqliteMailboxView implements MailboxView {
  constructor(
    private readonly core: AccountCore,
    readonly id: number,
  ) {}

  private get d() {
    return this.core.d;
  }

  status(): Promise<MailboxStatus> {
    return settle(() => toStatus(this.d, requireMailbox(this.d, this.id)));
  }

  list(uids?: UidSet): Promise<MessageSummary[]> {
    return settle(() => listMessages(this.d, this.id, uids));
  }

  metadata(uids: UidSet): Promise<MessageMetadata[]> {
    return settle(() => messageMetadata(this.d, this.id, uids));
  }

  read(uid: number, range?: { start: number; end: number }): Promise<Uint8Array | undefined> {
    return settle(() => readMessage(this.d, this.id, uid, range));
  }

  readSection(uid: number, section: Section): Promise<Uint8Array | undefined> {
    return settle(() => readSection(this.d, this.id, uid, section));
  }

  storeFlags(
    uids: UidSet,
    operation: FlagOperation,
    flags: readonly string[],
    options: StoreFlagsOptions = {},
  ): Promise<StoreFlagsResult> {
    return settle(() =>
      this.core.write(
        () => storeFlags(this.d, this.id, uids, operation, flags, options),
        "relaxed",
      ),
    );
  }

  expunge(options: ExpungeOptions = {}): Promise<number[]> {
    return settle(() => {
      return this.core.write(() => {
        requireMailbox(this.d, this.id);
        return removeMessages(this.d, this.id, {
          ...(options.uids ? { uids: options.uids } : {}),
          onlyDeleted: options.onlyDeleted ?? true,
          recordVanished: true,
        });
      }, "relaxed");
    });
  }

  copy(uids: UidSet, target: number): Promise<CopyResult> {
    return settle(() => this.core.write(() => copyMessages(this.d, this.id, uids, target)));
  }

  move(uids: UidSet, target: number): Promise<CopyResult> {
    return settle(() => this.core.write(() => moveMessages(this.d, this.id, uids, target)));
  }

  search(keys: readonly SearchKey[]): Promise<number[]> {
    return settle(() => search(this.d, this.id, keys));
  }

  sort(criteria: readonly SortCriterion[], keys: readonly SearchKey[]): Promise<number[]> {
    return settle(() => sort(this.d, this.id, criteria, keys));
  }

  threadFacts(keys: readonly SearchKey[]): Promise<ThreadFacts[]> {
    return settle(() => threadFacts(this.d, this.id, keys));
  }

  changesSince(modseq: number): Promise<Changes> {
    return settle(() => changesSince(this.d, this.id, modseq));
  }

  claimRecent(): Promise<number[]> {
    return settle(() => this.core.write(() => claimRecent(this.d, this.id), "relaxed"));
  }
}
