/**
 * Safe DKIM key changes: checking a change of selectors (the rules live in transition-rules.ts,
 * which the RotationGuard also runs inside the Pulumi engine) and computing the next safe edit of
 * a rotation for `mailstack dkim rotate`.
 *
 * A rotation, per algorithm, after M3AAWG's DKIM key rotation practices:
 *
 *   1. publish   add a new selector as pending; `pulumi up` publishes its key, nothing signs with it
 *   2. switch    once the record has spread (at least its TTL): the pending selector becomes
 *                active and the active one retiring (still published, no longer signing)
 *   3. remove    once mail signed by the old key has had time to arrive (days): drop the retiring
 *                selector; `pulumi up` deletes its record and destroys its key
 *
 * Each step is one `pulumi up`; between steps one waits, which is why they are separate commands.
 */
import type { StackConfig } from "../../stacks/schema.ts";
import type { DkimSelector } from "../../stacks/schema/dkim.ts";
import type { DkimAlgorithm } from "./public-key.ts";
import { dkimTransitionProblems, type TransitionProblem } from "./transition-rules.ts";

export {
  dkimTransitionProblems,
  type SelectorSnapshot,
  type TransitionProblem,
  type TransitionProblemCode,
} from "./transition-rules.ts";

/** The config key of domain number `domainIndex`'s selector list. */
export function dkimKeyPath(domainIndex: number): string {
  return `mailstack:domains[${domainIndex}].dkim`;
}

/**
 * The problems of changing a stack's domains from `previous` (undefined for a new stack) to
 * `next`, matching domains by name: a domain absent from `previous` is new.
 */
export function stackDkimTransitionProblems(
  previous: StackConfig["domains"] | undefined,
  next: StackConfig["domains"],
): TransitionProblem[] {
  return next.flatMap((domain, i) =>
    dkimTransitionProblems(
      domain.name,
      dkimKeyPath(i),
      previous?.find((d) => d.name === domain.name)?.dkim,
      domain.dkim,
    ),
  );
}

/** One edit of a domain's selector list, as `mailstack dkim rotate` applies it. */
export type SelectorEdit =
  /** Append `selector` at `index` (the old list's length: new selectors go last). */
  | { readonly kind: "add"; readonly index: number; readonly selector: DkimSelector }
  /** Set the state of the selector at `index` of the old list. */
  | {
      readonly kind: "set-state";
      readonly index: number;
      readonly selector: string;
      readonly from: DkimSelector["state"];
      readonly to: DkimSelector["state"];
    }
  /** Remove the selector at `index` of the old list. */
  | { readonly kind: "remove"; readonly index: number; readonly selector: string };

export interface RotationStep {
  readonly kind: "publish" | "start-signing" | "switch" | "remove";
  /** The domain's whole selector list after the step. */
  readonly selectors: readonly DkimSelector[];
  readonly edits: readonly SelectorEdit[];
  /** What changed, in a sentence or two. */
  readonly summary: string;
  /** What to do next, and how long to wait first. */
  readonly nextStep: string;
}

export interface RotationOptions {
  /** Named in the messages. */
  readonly domain: string;
  /** The TTL of published records in seconds (dns.ttl), named in the advice to wait. */
  readonly ttl?: number;
  /** The date new selector names are made from; default now. */
  readonly now?: Date;
}

/**
 * The next safe edit of the rotation of `algorithm`'s key in one domain (see the top of this
 * file). With both a pending and a retiring selector, the switch comes first: the pending key is
 * the one waiting. A domain that signs nothing yet gets an active selector at once, since the
 * schema refuses a list without one and there is nothing to protect (transition-rules.ts).
 */
export function nextRotationStep(
  selectors: readonly DkimSelector[],
  algorithm: DkimAlgorithm,
  options: RotationOptions,
): RotationStep {
  const { domain } = options;
  const wait = `at least the record's TTL (${options.ttl ?? 3600} s), better a day`;
  const ofAlgorithm = (state: DkimSelector["state"]) =>
    selectors.flatMap((s, index) =>
      s.algorithm === algorithm && s.state === state ? [{ s, index }] : [],
    );
  const pending = ofAlgorithm("pending")[0];
  const active = ofAlgorithm("active");
  const retiring = ofAlgorithm("retiring");

  if (pending !== undefined) {
    const edits: SelectorEdit[] = [
      ...active.map(({ s, index }): SelectorEdit => setState(index, s, "retiring")),
      setState(pending.index, pending.s, "active"),
    ];
    const name = pending.s.selector;
    const old = active.map(({ s }) => s.selector).join(" and ");
    return {
      kind: "switch",
      selectors: apply(selectors, edits),
      edits,
      summary:
        old === ""
          ? `${name} (${algorithm}) now signs ${domain} mail, alongside its other active selectors.`
          : `${name} (${algorithm}) now signs ${domain} mail; ${old} is retiring: still published ` +
            `so mail it signed keeps verifying, no longer signing.`,
      nextStep:
        old === ""
          ? `Run pulumi up. A later mailstack dkim rotate publishes a successor for ${name}.`
          : `Run pulumi up, then keep ${old} published while mail it signed may still be queued, ` +
            `delayed or forwarded (days, not hours). Then run mailstack dkim rotate again to remove it.`,
    };
  }

  if (retiring.length > 0) {
    const edits = retiring.map(({ s, index }): SelectorEdit => ({
      kind: "remove",
      index,
      selector: s.selector,
    }));
    const names = retiring.map(({ s }) => s.selector).join(" and ");
    return {
      kind: "remove",
      selectors: apply(selectors, edits),
      edits,
      summary: `Removed the retiring ${names} from ${domain}: the next pulumi up deletes its TXT record and destroys its key.`,
      nextStep:
        `Run pulumi up. This completes the rotation of ${domain}'s ${algorithm} key; the next ` +
        `mailstack dkim rotate starts another by publishing a new pending selector.`,
    };
  }

  const signsNothing = !selectors.some((s) => s.state === "active");
  const added: DkimSelector = {
    selector: freshSelectorName(selectors, algorithm, options.now ?? new Date()),
    algorithm,
    state: signsNothing ? "active" : "pending",
    emergency: false,
  };
  const edits: SelectorEdit[] = [{ kind: "add", index: selectors.length, selector: added }];
  const record = `${added.selector}._domainkey.${domain}`;
  if (signsNothing) {
    return {
      kind: "start-signing",
      selectors: [...selectors, added],
      edits,
      summary: `${domain} signed nothing: added ${added.selector} (${algorithm}) as active; with no earlier signature to protect it signs from the next pulumi up.`,
      nextStep: `Run pulumi up. Mail signed before ${record} has spread (${wait}) may fail DKIM at some receivers.`,
    };
  }
  return {
    kind: "publish",
    selectors: [...selectors, added],
    edits,
    summary: `Added ${added.selector} (${algorithm}) to ${domain} as pending: the next pulumi up generates and publishes its key; nothing signs with it yet.`,
    nextStep:
      `Run pulumi up, then wait until ${record} has spread (${wait}). Then run mailstack dkim ` +
      `rotate again to make ${added.selector} the signing key.`,
  };
}

/**
 * A selector name not in the list, of the form `<prefix><year><letter>` (`rsa2026b`): the prefix
 * of the newest selector of this algorithm when it has that form (so `org2026a` is followed by
 * `org2026b`), else `rsa` or `ed`. The letter follows the highest one used with that prefix and
 * year, so a name dropped earlier in the list's life is not reused while it is still remembered;
 * M3AAWG advises never to reuse a selector, since caches and old signatures may still refer to it.
 */
export function freshSelectorName(
  selectors: readonly DkimSelector[],
  algorithm: DkimAlgorithm,
  now: Date,
): string {
  const pattern = /^([a-z][a-z0-9-]*?)(\d{4})([a-z])$/;
  const model = selectors.findLast((s) => s.algorithm === algorithm && pattern.test(s.selector));
  const prefix =
    pattern.exec(model?.selector ?? "")?.[1] ?? (algorithm === "rsa2048" ? "rsa" : "ed");
  const year = String(now.getUTCFullYear());
  const used = selectors.flatMap((s) => {
    const [, p, y, l] = pattern.exec(s.selector) ?? [];
    return p === prefix && y === year && l !== undefined ? [l] : [];
  });
  const highest = used.sort().at(-1);
  const letter = highest === undefined ? "a" : String.fromCharCode(highest.charCodeAt(0) + 1);
  if (letter > "z") {
    throw new Error(
      `no free selector name ${prefix}${year}a..z left; add the pending selector by hand`,
    );
  }
  return `${prefix}${year}${letter}`;
}

function setState(index: number, s: DkimSelector, to: DkimSelector["state"]): SelectorEdit {
  return { kind: "set-state", index, selector: s.selector, from: s.state, to };
}

function apply(selectors: readonly DkimSelector[], edits: readonly SelectorEdit[]): DkimSelector[] {
  const removed = new Set(edits.flatMap((e) => (e.kind === "remove" ? [e.index] : [])));
  const states = new Map(edits.flatMap((e) => (e.kind === "set-state" ? [[e.index, e.to]] : [])));
  const added = edits.flatMap((e) => (e.kind === "add" ? [e.selector] : []));
  return [
    ...selectors.flatMap((s, i) =>
      removed.has(i) ? [] : [{ ...s, state: states.get(i) ?? s.state }],
    ),
    ...added,
  ];
}
