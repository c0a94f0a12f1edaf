/**
 * The rules of a safe change to one domain's DKIM selectors, given what the last deployment
 * published (`previous`) and what the config now asks for (`next`).
 *
 * This file has no runtime imports, and its function uses nothing but its arguments and
 * JavaScript built-ins. The reason: the RotationGuard dynamic provider runs this very function in
 * the Pulumi engine's provider process, where Pulumi ships it as serialized source text, and a
 * package import cannot travel that way (shared/ENVIRONMENT.md). transitions.ts wraps it for the
 * CLI and the tests, so there is one implementation of the rules.
 *
 * Why the rules (RFC 6376 §3.6.2, M3AAWG "DKIM Key Rotation Best Common Practices", 2019):
 * receivers fetch the key when they verify, possibly hours after sending and through caches
 * that keep the old answer for the record's TTL. So a key must be published before it signs,
 * and stay published after it stops signing, and a selector name must keep meaning one key.
 */

/** One selector as the guard stores it; `emergency` may be missing in state written earlier. */
export interface SelectorSnapshot {
  readonly selector: string;
  readonly algorithm: string;
  readonly state: string;
  readonly emergency?: boolean;
}

export type TransitionProblemCode =
  "no-active" | "active-without-publishing" | "active-removed" | "algorithm-changed";

export interface TransitionProblem {
  readonly code: TransitionProblemCode;
  /** The config key at fault, e.g. `mailstack:domains[0].dkim[2]`. */
  readonly key: string;
  readonly selector?: string;
  /** Names the domain, the selector and the key, says what is unsafe and what to do instead. */
  readonly message: string;
}

/**
 * The problems of the change `previous` -> `next` for `domain`, whose selector list lives at the
 * config key `keyPath` (e.g. `mailstack:domains[0].dkim`). `previous` is undefined when nothing
 * was deployed for the domain yet. An empty result means the change is safe.
 *
 * Decisions, each with its reason:
 * - A domain with nothing to protect (new, or with no active selector deployed) may start with
 *   an active selector: no earlier signature can break, and until the record spreads its mail is
 *   as unauthenticated as it was before (RFC 6376: a verifier SHOULD NOT treat a message with
 *   only bad signatures differently from an unsigned one).
 * - `emergency: true` counts only in the change where its selector becomes active; a flag left in
 *   the file after the emergency does nothing later. It allows that selector to sign without a
 *   pending run, and allows active selectors to be dropped in the same change (a compromised key
 *   should vanish from DNS at once).
 * - An algorithm change under the same selector name is refused even in an emergency: caches
 *   would serve the old key for the new signatures. A new key needs a new selector name.
 * - An empty list (the domain stops signing) is refused while a selector was active, like any
 *   removal of an active selector: retire it first. The schema forbids a list with no active
 *   selector, so stopping signing on purpose is left to removing the domain's DKIM by hand.
 */
export function dkimTransitionProblems(
  domain: string,
  keyPath: string,
  previous: readonly SelectorSnapshot[] | undefined,
  next: readonly SelectorSnapshot[],
): TransitionProblem[] {
  const problems: TransitionProblem[] = [];
  const before = new Map((previous ?? []).map((s) => [s.selector, s]));
  const after = new Map(next.map((s) => [s.selector, s]));
  const isActive = (s: SelectorSnapshot | undefined) => s !== undefined && s.state === "active";
  const somethingToProtect = (previous ?? []).some(isActive);
  const record = (selector: string) => `${selector}._domainkey.${domain}`;

  // At least one key signs after the change: unsigned mail has no DKIM pass to align, and a
  // DMARC reject policy (RFC 7489 §6.6.2) then rests on SPF alone, which forwarding breaks.
  if (next.length > 0 && !next.some(isActive)) {
    const keep = (previous ?? []).filter(isActive).map((s) => s.selector);
    problems.push({
      code: "no-active",
      key: keyPath,
      message:
        `${keyPath}: ${domain} would have no active selector after this change, so its mail ` +
        `would go out unsigned. ` +
        (keep.length > 0
          ? `Keep ${keep.join(" and ")} active until another selector of ${domain} is active.`
          : `Mark one selector active.`),
    });
  }

  // Emergency counts only where its selector becomes active in this change.
  const emergencyNow = next.some(
    (s) => s.emergency === true && isActive(s) && !isActive(before.get(s.selector)),
  );

  next.forEach((s, i) => {
    const key = `${keyPath}[${i}]`;
    const old = before.get(s.selector);
    if (old !== undefined && old.algorithm !== s.algorithm) {
      problems.push({
        code: "algorithm-changed",
        key: `${key}.algorithm`,
        selector: s.selector,
        message:
          `${key}.algorithm: selector ${s.selector} of ${domain} was ${old.algorithm} and would ` +
          `become ${s.algorithm}. A selector names one published key, and resolvers may keep ` +
          `serving the old ${record(s.selector)} record for its TTL, so signatures by the new key ` +
          `would fail. Put ${s.selector} back to ${old.algorithm} and add a new selector with ` +
          `algorithm ${s.algorithm} (state pending, then active: mailstack dkim rotate ` +
          `--algorithm ${s.algorithm} does it).`,
      });
    }
    if (old === undefined && isActive(s) && somethingToProtect && s.emergency !== true) {
      problems.push({
        code: "active-without-publishing",
        key,
        selector: s.selector,
        message:
          `${key}: selector ${s.selector} of ${domain} would start signing in the same run that ` +
          `first publishes its key; receivers that look up ${record(s.selector)} before the ` +
          `record has spread (or through a cache of its absence) would fail DKIM. Add it with ` +
          `state: pending, run pulumi up, wait at least the record's TTL, then set it active ` +
          `(mailstack dkim rotate makes these edits). If the current key is compromised, set ` +
          `emergency: true on ${s.selector} to accept that risk.`,
      });
    }
  });

  for (const old of previous ?? []) {
    if (!isActive(old) || after.has(old.selector) || emergencyNow) continue;
    problems.push({
      code: "active-removed",
      key: keyPath,
      selector: old.selector,
      message:
        `${keyPath}: selector ${old.selector} of ${domain} was active (signing) in the last ` +
        `deployment and is gone from the list; mail it signed that is still queued, delayed or ` +
        `forwarded would fail verification once ${record(old.selector)} disappears. Put it back ` +
        `with state: retiring, run pulumi up, keep it published for some days, then remove it. ` +
        `If the key is compromised, remove it in the same change that makes its replacement ` +
        `active with emergency: true.`,
    });
  }
  return problems;
}
