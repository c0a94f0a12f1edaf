/** The one registry of commands, by name as the parser spells it ("UID FETCH" for UID forms). */
import { append } from "../commands/append.ts";
import { authenticate } from "../commands/authenticate.ts";
import { capability } from "../commands/capability.ts";
import { close, unselect } from "../commands/close.ts";
import { compress } from "../commands/compress.ts";
import { copy, uidCopy } from "../commands/copy.ts";
import { create } from "../commands/create.ts";
import { deleteCommand } from "../commands/delete.ts";
import { enable } from "../commands/enable.ts";
import { expunge, uidExpunge } from "../commands/expunge.ts";
import { fetch, uidFetch } from "../commands/fetch.ts";
import { id } from "../commands/id.ts";
import { idle } from "../commands/idle.ts";
import { listCommand } from "../commands/list.ts";
import { login } from "../commands/login.ts";
import { logout } from "../commands/logout.ts";
import { lsub } from "../commands/lsub.ts";
import { move, uidMove } from "../commands/move.ts";
import { namespace } from "../commands/namespace.ts";
import { check, noop } from "../commands/noop.ts";
import { getQuota, getQuotaRoot } from "../commands/quota.ts";
import { rename } from "../commands/rename.ts";
import { search, uidSearch } from "../commands/search.ts";
import { examine, select } from "../commands/select.ts";
import { sort, uidSort } from "../commands/sort.ts";
import { starttls } from "../commands/starttls.ts";
import { status } from "../commands/status.ts";
import { store, uidStore } from "../commands/store.ts";
import { subscribe, unsubscribe } from "../commands/subscribe.ts";
import { thread, uidThread } from "../commands/thread.ts";
import type { AnyCommand } from "./command.ts";

const ALL: readonly AnyCommand[] = [
  // Any state (RFC 9051 §6.1)
  capability,
  noop,
  logout,
  id,
  // Not authenticated (§6.2)
  starttls,
  login,
  authenticate,
  // Authenticated (§6.3)
  enable,
  select,
  examine,
  create,
  deleteCommand,
  rename,
  subscribe,
  unsubscribe,
  listCommand,
  lsub,
  namespace,
  status,
  append,
  idle,
  getQuota,
  getQuotaRoot,
  compress,
  // Selected (§6.4)
  check,
  close,
  unselect,
  expunge,
  uidExpunge,
  search,
  uidSearch,
  fetch,
  uidFetch,
  store,
  uidStore,
  copy,
  uidCopy,
  move,
  uidMove,
  sort,
  uidSort,
  thread,
  uidThread,
];

export const REGISTRY: ReadonlyMap<string, AnyCommand> = new Map(ALL.map((c) => [c.name, c]));
