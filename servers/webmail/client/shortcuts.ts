/** Keyboard shortcuts (Gmail-like); never while typing in a field or with a modifier held. */
export interface Shortcuts {
  readonly next: () => void;
  readonly previous: () => void;
  readonly open: () => void;
  readonly compose: () => void;
  readonly reply: () => void;
  readonly replyAll: () => void;
  readonly forward: () => void;
  readonly remove: () => void;
  readonly spam: () => void;
  readonly flag: () => void;
  readonly unread: () => void;
  readonly search: () => void;
  readonly close: () => void;
  /** Check the current row in the list (x), or every row from the last one checked (X). */
  readonly check?: (range: boolean) => void;
}

export function installShortcuts(actions: Shortcuts): void {
  const keys: Record<string, () => void> = {
    j: actions.next,
    ArrowDown: actions.next,
    k: actions.previous,
    ArrowUp: actions.previous,
    Enter: actions.open,
    o: actions.open,
    c: actions.compose,
    r: actions.reply,
    a: actions.replyAll,
    f: actions.forward,
    "#": actions.remove,
    Delete: actions.remove,
    "!": actions.spam,
    s: actions.flag,
    u: actions.unread,
    "/": actions.search,
    Escape: actions.close,
    ...(actions.check ? { x: () => actions.check?.(false), X: () => actions.check?.(true) } : {}),
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement | null;
    if (target?.closest("input, textarea, select, dialog, [contenteditable]")) return;
    // Buttons and links keep Enter for themselves.
    if (event.key === "Enter" && target?.closest("button, a")) return;
    const action = keys[event.key];
    if (action === undefined) return;
    event.preventDefault();
    action();
  });
}
