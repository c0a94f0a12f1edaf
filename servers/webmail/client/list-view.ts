/**
 * The message list's parts that do not talk to the server: the order and conversation toggle
 * (remembered in this browser), the rows a page shows (conversations open in place), and the
 * checked set with shift-click ranges and "all on this page".
 */
import type { MessagePage, MessageSummary, SortKey } from "./api.ts";
import { h } from "./dom.ts";

export interface ListPrefs {
  sort: SortKey;
  descending: boolean;
  threads: boolean;
}

const PREFS_KEY = "mailstack.list";
const SORT_LABELS: Readonly<Record<SortKey, string>> = {
  arrival: "Received",
  date: "Date",
  from: "From",
  subject: "Subject",
  size: "Size",
};

export function loadPrefs(): ListPrefs {
  const fallback: ListPrefs = { sort: "arrival", descending: true, threads: false };
  try {
    const saved = JSON.parse(localStorage.getItem(PREFS_KEY) ?? "{}") as Partial<ListPrefs>;
    return {
      sort: saved.sort !== undefined && saved.sort in SORT_LABELS ? saved.sort : fallback.sort,
      descending: typeof saved.descending === "boolean" ? saved.descending : fallback.descending,
      threads: typeof saved.threads === "boolean" ? saved.threads : fallback.threads,
    };
  } catch {
    return fallback;
  }
}

export function savePrefs(prefs: ListPrefs): void {
  try {
    localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // Storage may be off (private windows): the choice then lasts for this page only.
  }
}

/** One line of the list: a message, a conversation, or a message of an opened conversation. */
export interface ListRow {
  /** The element's id, unique on the page. */
  readonly id: string;
  readonly kind: "message" | "thread" | "member";
  readonly message: MessageSummary;
  /** What checking the row selects: a conversation's every message. */
  readonly uids: readonly number[];
}

export const rowIdOf = (kind: ListRow["kind"], uid: number) =>
  `${kind === "thread" ? "thread" : "message"}-${uid}`;

/** The rows of a page, with the messages of each open conversation under it. */
export function visibleRows(list: MessagePage | undefined, open: ReadonlySet<number>): ListRow[] {
  const rows: ListRow[] = [];
  for (const m of list?.messages ?? []) {
    if (m.thread === undefined) {
      rows.push({ id: rowIdOf("message", m.uid), kind: "message", message: m, uids: [m.uid] });
      continue;
    }
    rows.push({ id: rowIdOf("thread", m.uid), kind: "thread", message: m, uids: m.thread.uids });
    if (open.has(m.uid)) {
      for (const member of m.thread.messages) {
        rows.push({
          id: rowIdOf("member", member.uid),
          kind: "member",
          message: member,
          uids: [member.uid],
        });
      }
    }
  }
  return rows;
}

/** The checked messages (by UID) and the row a shift-click ranges from. */
export class Checked {
  readonly uids = new Set<number>();
  private anchor: string | undefined;

  has(row: ListRow): boolean {
    return row.uids.length > 0 && row.uids.every((uid) => this.uids.has(uid));
  }

  /** Checks or unchecks `row`; with `range`, every row from the last one touched to it too. */
  set(rows: readonly ListRow[], row: ListRow, on: boolean, range: boolean): void {
    const to = rows.findIndex((r) => r.id === row.id);
    const from =
      range && this.anchor !== undefined ? rows.findIndex((r) => r.id === this.anchor) : -1;
    const span = from < 0 ? [row] : rows.slice(Math.min(from, to), Math.max(from, to) + 1);
    for (const r of span) {
      for (const uid of r.uids) {
        if (on) this.uids.add(uid);
        else this.uids.delete(uid);
      }
    }
    this.anchor = row.id;
  }

  /** "all", "some" or "none" of the page's rows are checked. */
  pageState(rows: readonly ListRow[]): "all" | "some" | "none" {
    const checked = rows.filter((r) => this.has(r)).length;
    if (checked === 0)
      return rows.some((r) => r.uids.some((u) => this.uids.has(u))) ? "some" : "none";
    return checked === rows.length ? "all" : "some";
  }

  setPage(rows: readonly ListRow[], on: boolean): void {
    for (const r of rows) {
      for (const uid of r.uids) {
        if (on) this.uids.add(uid);
        else this.uids.delete(uid);
      }
    }
    this.anchor = undefined;
  }

  clear(): void {
    this.uids.clear();
    this.anchor = undefined;
  }
}

/** The order and conversation controls; `change` gets the new preferences. */
export function listControls(prefs: ListPrefs, change: (next: ListPrefs) => void): HTMLElement {
  const sort = h(
    "select",
    { id: "sort", "aria-label": "Sort by" },
    (Object.entries(SORT_LABELS) as [SortKey, string][]).map(([key, label]) =>
      h("option", { value: key, selected: key === prefs.sort }, label),
    ),
  );
  const order = h(
    "select",
    { id: "sort-order", "aria-label": "Order" },
    h("option", { value: "desc", selected: prefs.descending }, "Descending"),
    h("option", { value: "asc", selected: !prefs.descending }, "Ascending"),
  );
  const threads = h("input", { type: "checkbox", id: "threads", checked: prefs.threads });
  const update = () =>
    change({
      sort: sort.value as SortKey,
      descending: order.value === "desc",
      threads: threads.checked,
    });
  sort.addEventListener("change", update);
  order.addEventListener("change", update);
  threads.addEventListener("change", update);
  return h(
    "div",
    { class: "list-order" },
    sort,
    order,
    h("label", { class: "threads-toggle" }, threads, " Conversations"),
  );
}
