/**
 * RotationGuard: one per domain, it remembers the selector list that the last `pulumi up`
 * deployed, and refuses an unsafe change of it during `pulumi preview` and `pulumi up`.
 *
 * Why a dynamic resource: the schema sees only the new config, but the unsafe changes (a key
 * signing before it was published, an active key dropped in one step) are about the change. A
 * resource's `check(olds, news)` is the one place where Pulumi hands the program both the inputs
 * it stored at the last deployment and the new ones, before anything is created or deleted. A
 * failure there stops the preview and the update with our message.
 *
 * The provider is serialized into the state and run in the engine's provider process
 * (shared/ENVIRONMENT.md), so its methods use nothing but `dkimTransitionProblems`, which has no
 * imports, and the helpers in this file that have none either. `pulumi` is used only outside.
 */
import * as pulumi from "@pulumi/pulumi";
import { dkimTransitionProblems, type SelectorSnapshot } from "./transition-rules.ts";

/** What the guard stores: its inputs, which `check` receives back as `olds` next time. */
export interface RotationGuardState {
  readonly domain: string;
  /** The config key of the list, e.g. `mailstack:domains[0].dkim`, for the messages. */
  readonly keyPath: string;
  readonly selectors: readonly SelectorSnapshot[];
}

export interface RotationGuardArgs {
  /** The mail domain whose selectors this guards. */
  readonly domain: string;
  /** The config key of the domain's selector list, e.g. `mailstack:domains[0].dkim`. */
  readonly keyPath: string;
  /** The selectors the config asks for now. */
  readonly selectors: readonly SelectorSnapshot[];
}

/** Reads a stored or new selector list; a string says what is wrong with it. */
function readSelectors(value: unknown): SelectorSnapshot[] | string {
  if (!Array.isArray(value)) return "expected a list of selectors";
  const list: SelectorSnapshot[] = [];
  for (const item of value as unknown[]) {
    const s = (item ?? {}) as Record<string, unknown>;
    if (
      typeof s.selector !== "string" ||
      typeof s.algorithm !== "string" ||
      typeof s.state !== "string"
    ) {
      return `expected {selector, algorithm, state}, got ${JSON.stringify(item)}`;
    }
    list.push({
      selector: s.selector,
      algorithm: s.algorithm,
      state: s.state,
      emergency: s.emergency === true,
    });
  }
  return list;
}

/** The stored shape, without the `__provider` text Pulumi adds to a dynamic resource's inputs. */
function stateOf(inputs: RotationGuardState): RotationGuardState {
  return { domain: inputs.domain, keyPath: inputs.keyPath, selectors: inputs.selectors };
}

/** The provider's methods; nothing to delete (the guard holds no outside resource). */
export const rotationGuardProvider = {
  /**
   * `olds` are the inputs stored by the last deployment, or `{}` when the guard is new (a new
   * domain or stack: nothing to protect). `news` are the inputs of this run.
   */
  check(
    olds: Partial<RotationGuardState>,
    news: RotationGuardState,
  ): Promise<pulumi.dynamic.CheckResult<RotationGuardState>> {
    const next = readSelectors(news.selectors);
    if (typeof next === "string") {
      return Promise.resolve({ inputs: news, failures: [{ property: "selectors", reason: next }] });
    }
    const stored = olds.selectors === undefined ? undefined : readSelectors(olds.selectors);
    // Unreadable stored state (written by another version) is treated as nothing to compare.
    const previous = typeof stored === "string" ? undefined : stored;
    const problems = dkimTransitionProblems(news.domain, news.keyPath, previous, next);
    return Promise.resolve({
      inputs: news,
      failures: problems.map((p) => ({ property: "selectors", reason: p.message })),
    });
  },

  /** Only the selectors and the domain matter; a domain moving in the list is not a change. */
  diff(
    _id: string,
    olds: RotationGuardState,
    news: RotationGuardState,
  ): Promise<pulumi.dynamic.DiffResult> {
    const key = (s: RotationGuardState) => JSON.stringify([s.domain, s.selectors]);
    return Promise.resolve({ changes: key(olds) !== key(news) });
  },

  create(inputs: RotationGuardState): Promise<pulumi.dynamic.CreateResult> {
    return Promise.resolve({ id: inputs.domain, outs: stateOf(inputs) });
  },

  update(
    _id: string,
    _olds: RotationGuardState,
    news: RotationGuardState,
  ): Promise<pulumi.dynamic.UpdateResult> {
    return Promise.resolve({ outs: stateOf(news) });
  },
} satisfies pulumi.dynamic.ResourceProvider<RotationGuardState, RotationGuardState>;

/** The dynamic resource; its type token is `pulumi-nodejs:dynamic/dkim:RotationGuard`. */
export class RotationGuard extends pulumi.dynamic.Resource {
  declare readonly domain: pulumi.Output<string>;
  declare readonly selectors: pulumi.Output<SelectorSnapshot[]>;

  constructor(name: string, args: RotationGuardArgs, opts?: pulumi.CustomResourceOptions) {
    const selectors = args.selectors.map((s) => ({
      selector: s.selector,
      algorithm: s.algorithm,
      state: s.state,
      emergency: s.emergency === true,
    }));
    super(
      rotationGuardProvider,
      name,
      { domain: args.domain, keyPath: args.keyPath, selectors },
      opts,
      "dkim",
      "RotationGuard",
    );
  }
}
