/**
 * THREAD algorithms of RFC 5256 on the facts the store keeps (message-id, references, base
 * subject, sent date): ORDEREDSUBJECT (§2.1) and REFERENCES (§2.2), and the thread-list syntax
 * of the response (§4). Pure functions; ties keep UID order, which is sequence order.
 */
import type { ThreadFacts } from "../../store/index.ts";

export interface ThreadNode {
  /** UID; undefined for a dummy (a message referenced but not present). */
  readonly uid: number | undefined;
  readonly children: ThreadNode[];
}

const byDate = (a: ThreadFacts, b: ThreadFacts): number => a.sentTime - b.sentTime || a.uid - b.uid;

/** Base subjects as the store gives them: already case-folded (RFC 5256 §2.1). */
const subjectKey = (fact: ThreadFacts): string => fact.baseSubject;

export function orderedSubject(facts: readonly ThreadFacts[]): ThreadNode[] {
  const sorted = [...facts].sort((a, b) => {
    const x = subjectKey(a);
    const y = subjectKey(b);
    return x < y ? -1 : x > y ? 1 : byDate(a, b);
  });
  const threads: { first: ThreadFacts; node: ThreadNode }[] = [];
  let current: { first: ThreadFacts; node: ThreadNode } | undefined;
  for (const fact of sorted) {
    if (current && subjectKey(current.first) === subjectKey(fact)) {
      current.node.children.push({ uid: fact.uid, children: [] });
    } else {
      current = { first: fact, node: { uid: fact.uid, children: [] } };
      threads.push(current);
    }
  }
  return threads.sort((a, b) => byDate(a.first, b.first)).map((t) => t.node);
}

interface Container {
  fact: ThreadFacts | undefined;
  parent: Container | undefined;
  children: Container[];
}

function isAncestor(candidate: Container, of: Container): boolean {
  for (let c: Container | undefined = of; c; c = c.parent) if (c === candidate) return true;
  return false;
}

function link(parent: Container, child: Container): void {
  if (child.parent) child.parent.children = child.parent.children.filter((c) => c !== child);
  child.parent = parent;
  parent.children.push(child);
}

/** The date a container sorts by: its message's, or a dummy's first child's. */
function dateOf(c: Container): ThreadFacts | undefined {
  return c.fact ?? (c.children[0] ? dateOf(c.children[0]) : undefined);
}

function sortContainers(list: Container[]): void {
  for (const c of list) sortContainers(c.children);
  list.sort((a, b) => {
    const x = dateOf(a);
    const y = dateOf(b);
    return x && y ? byDate(x, y) : 0;
  });
}

/** §2.2 step 4: drop empty dummies, promote the children of others (one at the root). */
function prune(list: Container[], root: boolean): Container[] {
  const out: Container[] = [];
  for (const c of list) {
    c.children = prune(c.children, false);
    if (c.fact) out.push(c);
    else if (c.children.length === 0) continue;
    else if (!root || c.children.length === 1) out.push(...c.children);
    else out.push(c);
  }
  for (const c of out) for (const child of c.children) child.parent = c;
  if (root) for (const c of out) c.parent = undefined;
  return out;
}

/**
 * THREAD=REFERENCES (RFC 5256 §2.2). A fact's `isReply` (RFC 5256 §2.1: a leader, trailer or [fwd:] wrapper was removed) decides
 * which message parents the other when two threads are gathered by subject.
 */
export function references(facts: readonly ThreadFacts[]): ThreadNode[] {
  const byId = new Map<string, Container>();
  const get = (id: string): Container => {
    let c = byId.get(id);
    if (!c) byId.set(id, (c = { fact: undefined, parent: undefined, children: [] }));
    return c;
  };
  for (const fact of [...facts].sort((a, b) => a.uid - b.uid)) {
    let id = fact.messageId ?? "";
    if (id === "" || byId.get(id)?.fact) id = `\0unique-${fact.uid}`;
    const container = get(id);
    container.fact = fact;
    let previous: Container | undefined;
    for (const ref of fact.references) {
      const current = get(ref);
      if (previous && !current.parent && current !== previous && !isAncestor(current, previous)) {
        link(previous, current);
      }
      previous = current;
    }
    // §2.2 step 1C: the message's own References win over a parent presumed from another
    // message's; the old link goes even when the new one would make a loop.
    if (container.parent) {
      container.parent.children = container.parent.children.filter((c) => c !== container);
      container.parent = undefined;
    }
    if (previous && previous !== container && !isAncestor(container, previous)) {
      link(previous, container);
    }
  }
  let roots = prune(
    [...byId.values()].filter((c) => !c.parent),
    true,
  );
  sortContainers(roots);
  roots = groupBySubject(roots);
  sortContainers(roots);
  const toNode = (c: Container): ThreadNode => ({
    uid: c.fact?.uid,
    children: c.children.map(toNode),
  });
  return roots.map(toNode);
}

/** §2.2 step 5: root threads with the same base subject are gathered. */
function groupBySubject(roots: Container[]): Container[] {
  const subjectOf = (c: Container): string => {
    const fact = dateOf(c);
    return fact ? subjectKey(fact) : "";
  };
  const reply = (c: Container): boolean => c.fact?.isReply === true;
  const table = new Map<string, Container>();
  for (const c of roots) {
    const subject = subjectOf(c);
    if (subject === "") continue;
    const existing = table.get(subject);
    // 5B: a dummy wins over a message; a message that is not a reply over one that is.
    if (
      !existing ||
      (!c.fact && existing.fact) ||
      (c.fact && existing.fact && reply(existing) && !reply(c))
    ) {
      table.set(subject, c);
    }
  }
  const out: Container[] = [];
  for (const c of roots) {
    const subject = subjectOf(c);
    const holder = subject === "" ? undefined : table.get(subject);
    if (!holder || holder === c) {
      out.push(c);
      continue;
    }
    if (!holder.fact && !c.fact) {
      for (const child of [...c.children]) link(holder, child); // 5C(i): merge the dummies
    } else if (!holder.fact) {
      link(holder, c); // 5C(ii)
    } else if (reply(c) && !reply(holder)) {
      link(holder, c); // 5C(iii): the reply goes under the original
    } else {
      // 5C(iv): two messages: a new dummy holds both, in the holder's place.
      const dummy: Container = { fact: undefined, parent: undefined, children: [] };
      const at = out.indexOf(holder);
      link(dummy, holder);
      link(dummy, c);
      if (at >= 0) out[at] = dummy;
      else out.push(dummy);
      table.set(subject, dummy);
    }
  }
  return out.filter((c) => !c.parent && (c.fact || c.children.length > 0));
}

/** RFC 5256 §4 thread-list: `(1 2 (3)(4))`; numbers through `number` (UID or sequence). */
export function formatThreads(
  threads: readonly ThreadNode[],
  number: (uid: number) => number,
): string {
  const inner = (node: ThreadNode): string => {
    const nested = (children: readonly ThreadNode[]) =>
      children.map((c) => `(${inner(c)})`).join("");
    if (node.uid === undefined) return nested(node.children);
    const self = String(number(node.uid));
    const [only] = node.children;
    if (node.children.length === 1 && only) return `${self} ${inner(only)}`;
    return node.children.length > 1 ? `${self} ${nested(node.children)}` : self;
  };
  return threads.map((t) => `(${inner(t)})`).join("");
}
