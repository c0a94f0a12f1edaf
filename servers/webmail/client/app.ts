/**
 * The mail view: folders, the message list, the reading pane. One state object; each part
 * re-renders from it. New mail arrives on the event stream and refreshes the list in place.
 */
import { api, ApiError, query, type Folder, type MessagePage, type MessageView } from "./api.ts";
import { noteSeenAddresses } from "./address-complete.ts";
import { openCompose, type ComposeInit } from "./compose.ts";
import { displayName, formatAddress, formatDate, formatSize, h } from "./dom.ts";
import {
  Checked,
  listControls,
  loadPrefs,
  rowIdOf,
  savePrefs,
  visibleRows,
  type ListPrefs,
  type ListRow,
} from "./list-view.ts";
import { parseSearch, type SearchTerms } from "./search.ts";
import { openSettings } from "./settings.ts";
import { installShortcuts } from "./shortcuts.ts";

const USE_LABEL: Record<string, string> = {
  "\\Inbox": "Inbox",
  "\\Sent": "Sent",
  "\\Drafts": "Drafts",
  "\\Trash": "Trash",
  "\\Junk": "Junk",
  "\\Archive": "Archive",
};
const USE_ICON: Record<string, string> = {
  "\\Inbox": "✉",
  "\\Sent": "➤",
  "\\Drafts": "✎",
  "\\Trash": "✖",
  "\\Junk": "⚠",
  "\\Archive": "▤",
};

/** What a dragged message row carries. */
const DRAG_TYPE = "application/x-mailstack-message";

interface State {
  address: string;
  folders: Folder[];
  folder: string;
  page: number;
  search: SearchTerms;
  list: MessagePage | undefined;
  /** Order and conversations, remembered in this browser. */
  prefs: ListPrefs;
  /** Conversations shown opened (by their row's UID). */
  open: Set<number>;
  checked: Checked;
  /** The id of the row the keyboard is on. */
  cursor: string | undefined;
  message: MessageView | undefined;
}

export async function startApp(root: HTMLElement, address: string): Promise<void> {
  const state: State = {
    address,
    folders: [],
    folder: "INBOX",
    page: 0,
    search: {},
    list: undefined,
    prefs: loadPrefs(),
    open: new Set(),
    checked: new Checked(),
    cursor: undefined,
    message: undefined,
  };

  const toast = h("div", { class: "toast", role: "status", "aria-live": "polite" });
  const folderNav = h("nav", { class: "folders", "aria-label": "Folders" });
  const listBox = h("ul", {
    class: "messages",
    role: "listbox",
    "aria-label": "Messages",
    tabindex: 0,
    id: "message-list",
  });
  const pager = h("div", { class: "pager" });
  const pickPage = h("input", {
    type: "checkbox",
    id: "select-page",
    "aria-label": "Select all on this page",
  });
  const bulkBar = h("div", {
    class: "bulk",
    role: "toolbar",
    "aria-label": "Selected messages",
    hidden: true,
  });
  const listPane = h(
    "section",
    { class: "list-pane", "aria-labelledby": "list-title" },
    h("h2", { id: "list-title", class: "pane-title" }, "Inbox"),
    h(
      "div",
      { class: "list-tools", role: "toolbar", "aria-label": "List" },
      pickPage,
      listControls(state.prefs, (next) => changePrefs(next)),
    ),
    bulkBar,
    listBox,
    pager,
  );
  const reader = h("section", { class: "reader", "aria-label": "Message", tabindex: -1 });
  const searchInput = h("input", {
    id: "search",
    type: "search",
    placeholder: "Search: from: to: subject: after: before:",
    autocomplete: "off",
  });
  const searchForm = h(
    "form",
    { role: "search", class: "search" },
    h("label", { for: "search", class: "visually-hidden" }, "Search mail"),
    searchInput,
  );
  const shell = h("div", { class: "shell" });

  const say = (text: string) => {
    toast.textContent = text;
    toast.classList.add("shown");
    setTimeout(() => toast.classList.remove("shown"), 4000);
  };
  const fail = (e: unknown) => {
    if (e instanceof ApiError && e.status === 401) {
      location.reload();
      return;
    }
    say(e instanceof Error ? e.message : "Something went wrong.");
  };

  // ---- folders
  const folderLabel = (f: Folder) => (f.specialUse ? (USE_LABEL[f.specialUse] ?? f.name) : f.name);
  const renderFolders = () => {
    folderNav.replaceChildren(
      h(
        "ul",
        {},
        state.folders.map((f) =>
          h(
            "li",
            {},
            h(
              "a",
              {
                href: `#${encodeURIComponent(f.path)}`,
                "aria-current": f.path === state.folder ? "page" : undefined,
                "data-path": f.path,
                onclick: (event: Event) => {
                  event.preventDefault();
                  void openFolder(f.path);
                },
                // Drop a message here to move it (the "Move to" menu does the same).
                ondragover: (event: Event) => {
                  if ((event as DragEvent).dataTransfer?.types.includes(DRAG_TYPE)) {
                    event.preventDefault();
                  }
                },
                ondrop: (event: Event) => {
                  event.preventDefault();
                  const data = (event as DragEvent).dataTransfer?.getData(DRAG_TYPE);
                  if (!data) return;
                  const { folder, uids } = JSON.parse(data) as { folder: string; uids: number[] };
                  if (folder === f.path) return;
                  const leaves = state.message !== undefined && uids.includes(state.message.uid);
                  state.checked.clear();
                  void act(
                    () => api.post("/api/messages/move", { folder, uids, to: f.path }),
                    `Moved to ${folderLabel(f)}.`,
                    leaves,
                  );
                },
              },
              h(
                "span",
                { class: "icon", "aria-hidden": "true" },
                f.specialUse ? (USE_ICON[f.specialUse] ?? "▢") : "▢",
              ),
              h("span", { class: "name" }, folderLabel(f)),
              f.unread > 0
                ? h(
                    "span",
                    { class: "count", "aria-label": `${f.unread} unread` },
                    String(f.unread),
                  )
                : null,
            ),
          ),
        ),
      ),
    );
  };
  const loadFolders = async () => {
    state.folders = (await api.get<{ folders: Folder[] }>("/api/folders")).folders;
    renderFolders();
    // The list's title and Sent/Drafts columns come from the folders.
    if (state.list !== undefined) renderList();
  };
  const pathOf = (use: string) => state.folders.find((f) => f.specialUse === use)?.path;

  // ---- list
  const rows = () => visibleRows(state.list, state.open);
  const isSentLike = () => state.folder === pathOf("\\Sent") || state.folder === pathOf("\\Drafts");
  const renderRow = (row: ListRow, all: readonly ListRow[]) => {
    const m = row.message;
    const thread = row.kind === "thread" ? m.thread : undefined;
    const unread = (thread?.messages ?? [m]).some((x) => !x.flags.includes("\\Seen"));
    const flagged = (thread?.messages ?? [m]).some((x) => x.flags.includes("\\Flagged"));
    const attached = (thread?.messages ?? [m]).some((x) => x.hasAttachment);
    // A conversation names everyone who wrote in it, once each.
    const people = (thread?.messages ?? [m]).map((x) => displayName(isSentLike() ? x.to : x.from));
    const who = [...new Set(people.filter((p) => p !== ""))].join(", ") || "(nobody)";
    const subject = m.subject || "(no subject)";
    const pick = h("input", {
      type: "checkbox",
      class: "pick",
      tabindex: -1,
      checked: state.checked.has(row),
      "aria-label": `Select ${thread ? "conversation" : "message"}: ${subject}`,
      "aria-keyshortcuts": "x",
    });
    pick.addEventListener("click", (event) => {
      event.stopPropagation();
      state.checked.set(all, row, pick.checked, event.shiftKey);
      renderList();
    });
    const opened = state.open.has(m.uid);
    return h(
      "li",
      {
        id: row.id,
        role: "option",
        "aria-selected": row.id === state.cursor ? "true" : "false",
        "aria-expanded": thread ? String(opened) : undefined,
        class: `row ${row.kind}${unread ? " unread" : ""}${state.checked.has(row) ? " checked" : ""}`,
        "data-uid": m.uid,
        draggable: "true",
        ondragstart: (event: Event) => {
          const transfer = (event as DragEvent).dataTransfer;
          const uids = state.checked.has(row) ? [...state.checked.uids] : row.uids;
          transfer?.setData(DRAG_TYPE, JSON.stringify({ folder: state.folder, uids }));
          if (transfer) transfer.effectAllowed = "move";
        },
        onclick: () => {
          // A conversation opens in place, with its first message in the reader.
          if (thread && !opened) state.open.add(m.uid);
          void openMessage(m.uid, row.id).catch(fail);
        },
      },
      pick,
      h(
        "span",
        { class: "who" },
        who,
        thread
          ? h(
              "span",
              { class: "thread-count", "aria-label": `${thread.count} messages` },
              String(thread.count),
            )
          : null,
      ),
      h("span", { class: "subject" }, subject),
      h("span", { class: "date" }, formatDate(thread ? thread.latest : m.date)),
      h("span", { class: "size" }, formatSize(m.size)),
      h(
        "span",
        { class: "marks" },
        thread
          ? h(
              "button",
              {
                type: "button",
                class: "expand",
                tabindex: -1,
                "aria-label": opened ? "Close conversation" : "Open conversation",
                onclick: (event: Event) => {
                  event.stopPropagation();
                  if (opened) state.open.delete(m.uid);
                  else state.open.add(m.uid);
                  renderList();
                },
              },
              opened ? "▾" : "▸",
            )
          : null,
        flagged ? h("span", { title: "Flagged", "aria-label": "flagged" }, "★") : null,
        attached ? h("span", { title: "Attachment", "aria-label": "has attachment" }, "⊕") : null,
        unread ? h("span", { class: "visually-hidden" }, "unread") : null,
      ),
    );
  };
  pickPage.addEventListener("change", () => {
    state.checked.setPage(rows(), pickPage.checked);
    renderList();
  });
  const renderBulk = () => {
    const count = state.checked.uids.size;
    bulkBar.hidden = count === 0;
    if (count === 0) {
      bulkBar.replaceChildren();
      return;
    }
    const inJunk = state.folder === pathOf("\\Junk");
    const button = (label: string, run: () => void) =>
      h("button", { type: "button", onclick: run }, label);
    const move = h(
      "select",
      { id: "bulk-move", "aria-label": "Move selected to folder" },
      h("option", { value: "" }, "Move to…"),
      state.folders
        .filter((f) => f.path !== state.folder)
        .map((f) => h("option", { value: f.path }, folderLabel(f))),
    );
    move.addEventListener("change", () => {
      const target = state.folders.find((f) => f.path === move.value);
      if (target)
        bulk(
          (uids) => api.post("/api/messages/move", { folder: state.folder, uids, to: target.path }),
          `Moved to ${folderLabel(target)}.`,
          true,
        );
    });
    const flags = (add: string[], remove: string[], done: string) =>
      bulk(
        (uids) => api.post("/api/messages/flags", { folder: state.folder, uids, add, remove }),
        done,
        false,
      );
    bulkBar.replaceChildren(
      h("span", { class: "bulk-count", role: "status" }, `${count} selected`),
      button("Mark read", () => flags(["\\Seen"], [], "Marked read.")),
      button("Mark unread", () => flags([], ["\\Seen"], "Marked unread.")),
      button("Flag", () => flags(["\\Flagged"], [], "Flagged.")),
      button("Unflag", () => flags([], ["\\Flagged"], "Unflagged.")),
      button(inJunk ? "Not spam" : "Spam", () =>
        bulk(
          (uids) => api.post("/api/messages/spam", { folder: state.folder, uids, spam: !inJunk }),
          inJunk ? "Moved to Inbox." : "Moved to Junk.",
          true,
        ),
      ),
      button("Delete", () =>
        bulk(
          (uids) => api.post("/api/messages/delete", { folder: state.folder, uids }),
          "Deleted.",
          true,
        ),
      ),
      move,
      button("Clear", () => {
        state.checked.clear();
        renderList();
      }),
    );
  };
  /** An action on every checked message; `leaves` when they leave the folder. */
  const bulk = (work: (uids: number[]) => Promise<unknown>, done: string, leaves: boolean) => {
    const uids = [...state.checked.uids];
    const shownLeaves = leaves && state.message !== undefined && uids.includes(state.message.uid);
    state.checked.clear();
    void act(() => work(uids), done, shownLeaves);
  };
  const renderList = () => {
    const list = state.list;
    const folder = state.folders.find((f) => f.path === state.folder);
    const searching = Object.keys(state.search).length > 0;
    const title = `${folder ? folderLabel(folder) : state.folder}${searching ? " · search" : ""}`;
    listPane.querySelector(".pane-title")?.replaceChildren(title);
    listBox.setAttribute("aria-label", `Messages in ${title}`);
    renderBulk();
    if (list === undefined) return;
    const all = rows();
    const page = state.checked.pageState(all);
    pickPage.checked = page === "all";
    pickPage.indeterminate = page === "some";
    listBox.replaceChildren(
      ...(all.length === 0
        ? [h("li", { class: "empty", role: "option", "aria-disabled": "true" }, "No messages")]
        : all.map((row) => renderRow(row, all))),
    );
    if (state.cursor !== undefined) listBox.setAttribute("aria-activedescendant", state.cursor);
    const pages = Math.max(1, Math.ceil(list.total / list.pageSize));
    const unit = list.threads ? "conversations" : "messages";
    pager.replaceChildren(
      h(
        "button",
        {
          type: "button",
          disabled: state.page === 0,
          onclick: () => void loadList(state.page - 1),
        },
        "Newer",
      ),
      h("span", {}, `${state.page + 1} / ${pages} · ${list.total} ${unit}`),
      h(
        "button",
        {
          type: "button",
          disabled: state.page + 1 >= pages,
          onclick: () => void loadList(state.page + 1),
        },
        "Older",
      ),
    );
  };
  const loadList = async (page = state.page) => {
    state.page = Math.max(0, page);
    const { sort, descending, threads } = state.prefs;
    state.list = await api.get<MessagePage>(
      `/api/messages?${query({
        folder: state.folder,
        page: state.page,
        sort: sort === "arrival" ? undefined : sort,
        order: descending ? undefined : "asc",
        threads: threads ? 1 : undefined,
        ...state.search,
      })}`,
    );
    noteSeenAddresses(state.list.messages.flatMap((m) => m.from));
    renderList();
  };
  const changePrefs = (next: ListPrefs) => {
    state.prefs = next;
    savePrefs(next);
    state.open.clear();
    state.cursor = undefined;
    void loadList(0).catch(fail);
  };
  const openFolder = async (path: string) => {
    state.folder = path;
    state.search = {};
    searchInput.value = "";
    state.cursor = undefined;
    state.open.clear();
    state.checked.clear();
    state.message = undefined;
    shell.classList.remove("reading", "folders-open");
    renderFolders();
    renderReader();
    await loadList(0);
    listBox.focus();
  };

  // ---- reader
  const bodyUrl = (m: { folder: string; uid: number }, images: boolean) =>
    `/api/message/body?${query({ folder: m.folder, uid: m.uid, images: images ? 1 : undefined })}`;
  const authSummary = (results: string[]) => {
    const first = results[0] ?? "";
    return ["spf", "dkim", "dmarc"].map((method) => {
      const result =
        new RegExp(`\\b${method}=(\\w+)`, "i").exec(first)?.[1]?.toLowerCase() ?? "none";
      return h(
        "span",
        { class: `auth auth-${result === "pass" ? "pass" : result === "none" ? "none" : "fail"}` },
        `${method.toUpperCase()} ${result}`,
      );
    });
  };
  // The body frame stays in its slot while the headers above it re-render: moving an iframe in
  // the document reloads it. It starts loading as soon as a message is clicked.
  const meta = h("div", { class: "meta" });
  const frameSlot = h("div", { class: "frame-slot" });
  reader.replaceChildren(meta, frameSlot);
  let shownFrame: { key: string; frame: HTMLIFrameElement } | undefined;
  const showFrame = (folder: string, uid: number, images: boolean): HTMLIFrameElement => {
    const key = `${folder}\n${uid}\n${images}`;
    if (shownFrame?.key === key) return shownFrame.frame;
    if (shownFrame !== undefined) {
      // Navigating the frame that is there halves the time to show a message against a new
      // sandboxed frame (bench/webmail-figures.ts). replace(): no history entry per message, so
      // Back still leaves the page. (A cross-origin frame's location.replace is allowed.)
      const { frame } = shownFrame;
      const url = bodyUrl({ folder, uid }, images);
      frame.setAttribute("data-loading", "");
      if (frame.contentWindow) frame.contentWindow.location.replace(url);
      else frame.src = url;
      shownFrame = { key, frame };
      return frame;
    }
    const frame = h("iframe", {
      class: "body",
      title: "Message body",
      sandbox: "allow-popups allow-popups-to-escape-sandbox",
      referrerpolicy: "no-referrer",
      src: bodyUrl({ folder, uid }, images),
    });
    // `data-loading` until the body is in (tests wait for it to go: the frame is reused). For
    // the figures (bench/webmail-figures.ts): the body is in and a frame has been painted.
    frame.setAttribute("data-loading", "");
    frame.addEventListener("load", () => {
      frame.removeAttribute("data-loading");
      requestAnimationFrame(() => requestAnimationFrame(() => performance.mark("webmail:shown")));
    });
    frameSlot.replaceChildren(frame);
    shownFrame = { key, frame };
    return frame;
  };
  const renderReader = () => {
    const m = state.message;
    if (m === undefined) {
      meta.replaceChildren(h("p", { class: "placeholder" }, "Select a message to read it."));
      frameSlot.replaceChildren();
      shownFrame = undefined;
      return;
    }
    const frame = showFrame(m.folder, m.uid, shownFrame?.key.endsWith("true") ?? false);
    frame.title = `Message: ${m.subject}`;
    const inJunk = m.folder === pathOf("\\Junk");
    const move = h(
      "select",
      { id: "move-to", "aria-label": "Move to folder" },
      h("option", { value: "" }, "Move to…"),
      state.folders
        .filter((f) => f.path !== m.folder)
        .map((f) => h("option", { value: f.path }, folderLabel(f))),
    );
    move.addEventListener("change", () => {
      if (move.value)
        void act(
          () => api.post("/api/messages/move", { folder: m.folder, uids: [m.uid], to: move.value }),
          "Moved.",
          true,
        );
    });
    meta.replaceChildren(
      h(
        "div",
        { class: "message" },
        h(
          "div",
          { class: "toolbar", role: "toolbar", "aria-label": "Message actions" },
          h("button", { type: "button", class: "back", onclick: () => closeReader() }, "← Back"),
          h(
            "button",
            { type: "button", onclick: () => reply("reply"), "aria-keyshortcuts": "r" },
            "Reply",
          ),
          h(
            "button",
            { type: "button", onclick: () => reply("all"), "aria-keyshortcuts": "a" },
            "Reply all",
          ),
          h(
            "button",
            { type: "button", onclick: () => reply("forward"), "aria-keyshortcuts": "f" },
            "Forward",
          ),
          h(
            "button",
            {
              type: "button",
              onclick: () => void toggleFlag(),
              "aria-pressed": m.flags.includes("\\Flagged") ? "true" : "false",
              "aria-keyshortcuts": "s",
            },
            "Flag",
          ),
          h(
            "button",
            { type: "button", onclick: () => void markUnread(), "aria-keyshortcuts": "u" },
            "Mark unread",
          ),
          h(
            "button",
            { type: "button", onclick: () => void spam(!inJunk), "aria-keyshortcuts": "!" },
            inJunk ? "Not spam" : "Spam",
          ),
          h(
            "button",
            { type: "button", onclick: () => void remove(), "aria-keyshortcuts": "#" },
            "Delete",
          ),
          move,
        ),
        h("h2", { class: "subject", id: "message-subject" }, m.subject || "(no subject)"),
        h(
          "dl",
          { class: "headers" },
          h("dt", {}, "From"),
          h("dd", {}, m.from.map(formatAddress).join(", ")),
          h("dt", {}, "To"),
          h("dd", {}, m.to.map(formatAddress).join(", ")),
          m.cc.length > 0
            ? [h("dt", {}, "Cc"), h("dd", {}, m.cc.map(formatAddress).join(", "))]
            : null,
          h("dt", {}, "Date"),
          h("dd", {}, m.date ? new Date(m.date).toLocaleString() : ""),
          h("dt", {}, "Checks"),
          h(
            "dd",
            {
              class: "auth-results",
              title: m.authenticationResults.join("\n") || "No Authentication-Results",
            },
            authSummary(m.authenticationResults),
          ),
        ),
        m.blockedImages > 0
          ? h(
              "p",
              { class: "images-blocked" },
              `${m.blockedImages} remote image(s) hidden to protect your privacy. `,
              h(
                "button",
                {
                  type: "button",
                  id: "show-images",
                  onclick: () => showFrame(m.folder, m.uid, true),
                },
                "Show images",
              ),
            )
          : null,
        m.attachments.length > 0
          ? h(
              "ul",
              { class: "attachments", "aria-label": "Attachments" },
              m.attachments.map((a) =>
                h(
                  "li",
                  {},
                  h(
                    "a",
                    {
                      href: `/api/message/part?${query({ folder: m.folder, uid: m.uid, part: a.part })}`,
                      download: a.filename,
                    },
                    `⊕ ${a.filename}`,
                  ),
                  ` ${formatSize(a.size)}`,
                ),
              ),
            )
          : null,
      ),
    );
  };
  const openMessage = async (uid: number, rowId = rowIdOf("message", uid)) => {
    performance.mark("webmail:open");
    state.cursor = rowId;
    renderList();
    showFrame(state.folder, uid, false);
    state.message = await api.get<MessageView>(
      `/api/message?${query({ folder: state.folder, uid })}`,
    );
    shell.classList.add("reading");
    renderReader();
    // Reading marked it read: update the row and the unread count.
    const shown = (state.list?.messages ?? [])
      .flatMap((m) => [m, ...(m.thread?.messages ?? [])])
      .filter((m) => m.uid === uid && !m.flags.includes("\\Seen"));
    for (const m of shown) m.flags.push("\\Seen");
    if (shown.length > 0) {
      renderList();
      void loadFolders();
    }
  };
  const closeReader = () => {
    shell.classList.remove("reading");
    state.message = undefined;
    renderReader();
    listBox.focus();
  };
  const act = async (work: () => Promise<unknown>, done: string, leaves: boolean) => {
    try {
      await work();
      say(done);
      if (leaves) {
        state.message = undefined;
        state.cursor = undefined;
        shell.classList.remove("reading");
        renderReader();
      }
      await Promise.all([loadList(), loadFolders()]);
    } catch (e) {
      fail(e);
    }
  };
  const current = () => state.message;
  const toggleFlag = async () => {
    const m = current();
    if (!m) return;
    const on = !m.flags.includes("\\Flagged");
    await act(
      () =>
        api.post("/api/messages/flags", {
          folder: m.folder,
          uids: [m.uid],
          [on ? "add" : "remove"]: ["\\Flagged"],
        }),
      on ? "Flagged." : "Unflagged.",
      false,
    );
    m.flags = on ? [...m.flags, "\\Flagged"] : m.flags.filter((f) => f !== "\\Flagged");
    renderReader();
  };
  const markUnread = async () => {
    const m = current();
    if (m)
      await act(
        () =>
          api.post("/api/messages/flags", { folder: m.folder, uids: [m.uid], remove: ["\\Seen"] }),
        "Marked unread.",
        true,
      );
  };
  const spam = async (isSpam: boolean) => {
    const m = current();
    if (m)
      await act(
        () => api.post("/api/messages/spam", { folder: m.folder, uids: [m.uid], spam: isSpam }),
        isSpam ? "Moved to Junk." : "Moved to Inbox.",
        true,
      );
  };
  const remove = async () => {
    const m = current();
    if (m)
      await act(
        () => api.post("/api/messages/delete", { folder: m.folder, uids: [m.uid] }),
        "Deleted.",
        true,
      );
  };
  const reply = (kind: "reply" | "all" | "forward") => {
    const m = current();
    if (!m) return;
    const quoted = (m.text ?? "")
      .split("\n")
      .map((l) => `> ${l}`)
      .join("\n");
    const from = m.from.map(formatAddress).join(", ");
    const init: ComposeInit =
      kind === "forward"
        ? {
            subject: /^fwd?:/i.test(m.subject) ? m.subject : `Fwd: ${m.subject}`,
            forwarding: { folder: m.folder, uid: m.uid },
            forwardedFiles: m.attachments.map((a) => a.filename),
            text: `\n\n-------- Forwarded message --------\nFrom: ${from}\nDate: ${m.date ?? ""}\nSubject: ${m.subject}\n\n${m.text ?? ""}`,
          }
        : {
            to: (m.replyTo.length > 0 ? m.replyTo : m.from).map(formatAddress).join(", "),
            cc:
              kind === "all"
                ? [...m.to, ...m.cc]
                    .filter((a) => a.address.toLowerCase() !== state.address.toLowerCase())
                    .map(formatAddress)
                    .join(", ")
                : "",
            subject: /^re:/i.test(m.subject) ? m.subject : `Re: ${m.subject}`,
            text: `\n\nOn ${m.date ? new Date(m.date).toLocaleString() : ""}, ${from} wrote:\n${quoted}`,
            ...(m.messageId
              ? {
                  inReplyTo: m.messageId,
                  references: `${m.references ?? ""} ${m.messageId}`.trim(),
                }
              : {}),
            answering: { folder: m.folder, uid: m.uid },
          };
    openCompose(init, (text) => {
      say(text);
      void loadFolders();
    });
  };
  const move = (delta: number) => {
    const all = rows();
    if (all.length === 0) return;
    const index = all.findIndex((r) => r.id === state.cursor);
    const next = all[Math.min(all.length - 1, Math.max(0, index + delta))];
    if (next === undefined) return;
    state.cursor = next.id;
    renderList();
    document.getElementById(next.id)?.scrollIntoView({ block: "nearest" });
  };
  const cursorRow = () => rows().find((r) => r.id === state.cursor);
  /** x checks or unchecks the row the keyboard is on; X also every row since the last one. */
  const checkCursor = (range: boolean) => {
    const row = cursorRow();
    if (row === undefined) return;
    state.checked.set(rows(), row, !state.checked.has(row), range);
    renderList();
  };
  const openCursor = () => {
    const row = cursorRow();
    if (row === undefined) return;
    if (row.kind === "thread") state.open.add(row.message.uid);
    void openMessage(row.message.uid, row.id).catch(fail);
  };

  // ---- layout
  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    state.search = parseSearch(searchInput.value);
    void loadList(0).catch(fail);
  });
  const header = h(
    "header",
    { class: "topbar" },
    h(
      "button",
      {
        type: "button",
        class: "menu",
        "aria-label": "Show folders",
        onclick: () => shell.classList.toggle("folders-open"),
      },
      "☰",
    ),
    h("span", { class: "brand" }, "Mail"),
    searchForm,
    h(
      "button",
      {
        type: "button",
        class: "primary",
        id: "compose",
        "aria-keyshortcuts": "c",
        onclick: () =>
          openCompose({}, (t) => {
            say(t);
            void loadFolders();
          }),
      },
      "Compose",
    ),
    h("span", { class: "me" }, state.address),
    h(
      "button",
      {
        type: "button",
        id: "settings",
        onclick: () => void openSettings(say).catch(fail),
      },
      "Settings",
    ),
    h(
      "button",
      {
        type: "button",
        id: "logout",
        onclick: () => {
          void api.post("/api/logout", {}).finally(() => location.reload());
        },
      },
      "Log out",
    ),
  );
  shell.replaceChildren(header, folderNav, h("main", { class: "panes" }, listPane, reader));
  root.replaceChildren(shell, toast);
  renderReader();

  installShortcuts({
    next: () => move(1),
    previous: () => move(-1),
    open: openCursor,
    check: checkCursor,
    compose: () => openCompose({}, say),
    reply: () => reply("reply"),
    replyAll: () => reply("all"),
    forward: () => reply("forward"),
    remove: () => void remove(),
    spam: () => void spam(current()?.folder !== pathOf("\\Junk")),
    flag: () => void toggleFlag(),
    unread: () => void markUnread(),
    search: () => searchInput.focus(),
    close: () => closeReader(),
  });

  // The page is asked for before the folders: both go over the session's one IMAP connection,
  // and the list is what the user waits for (folder counts, a STATUS of each, fill in after).
  const firstPage = loadList(0).then(() =>
    requestAnimationFrame(() =>
      requestAnimationFrame(() => performance.mark("webmail:first-page-painted")),
    ),
  );
  await firstPage;
  await loadFolders();
  // New mail: the event stream says the inbox grew. Opened after the first page, so its IMAP
  // login does not compete with the page's; `ready` catches up on what came in between.
  const inboxShown = () =>
    state.folder === "INBOX" && state.page === 0 && Object.keys(state.search).length === 0;
  const events = new EventSource("/api/events");
  events.addEventListener("ready", (event) => {
    const { count } = JSON.parse((event as MessageEvent<string>).data) as { count: number };
    if (inboxShown() && state.list !== undefined && count !== state.list.total) {
      void Promise.all([loadFolders(), loadList(0)]);
    }
  });
  events.addEventListener("mail", () => {
    say("New mail.");
    void loadFolders();
    if (inboxShown()) void loadList(0);
  });
  listBox.focus();
  document.body.dataset.ready = "true";
}
