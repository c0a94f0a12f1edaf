/**
 * The one dispatcher: finds the command in the registry, checks its state and arity once,
 * parses its arguments, runs it, sends the untagged updates its policy allows, and writes the
 * tagged reply. Command modules never check their state themselves.
 */
import { isStoreError } from "../../store/index.ts";
import { fromStoreError, ImapError } from "../protocol/errors.ts";
import { matchesKind, type ArgKind, type ParsedCommand, type Token } from "../protocol/tokens.ts";
import type { AnyCommand, ArgSlot, Completion, SessionApi, UpdatePolicy } from "./command.ts";
import type { SessionState, StateKind } from "./state.ts";

export interface DispatchHost {
  readonly state: SessionState;
  readonly api: SessionApi;
  tagged(tag: string, status: "OK" | "NO" | "BAD", code: string | undefined, text: string): void;
  /** Counts a BAD; the session ends after too many in a row. */
  badCommand(): void;
  goodCommand(): void;
  /** `* BYE` and close. */
  bye(text: string): void;
}

/** Why a command is refused in this state (the command's declared states say what it needs). */
function wrongState(current: StateKind, allowed: readonly StateKind[]): string {
  if (current === "not-authenticated") return "Log in first";
  if (allowed.includes("not-authenticated")) return "Logged in already";
  if (allowed.includes("selected") && !allowed.includes("authenticated"))
    return "No mailbox selected";
  return "Not allowed now";
}

/** Checks tokens against a schema; returns the problem, or undefined when they fit. */
export function checkArgs(slots: readonly ArgSlot[], args: readonly Token[]): string | undefined {
  let i = 0;
  for (const slot of slots) {
    const kind = slot.replace(/[?.]+$/, "") as ArgKind;
    if (slot.endsWith("...")) {
      for (; i < args.length; i++) {
        if (!matchesKind(args[i] as Token, kind)) return `Invalid argument ${i + 1}`;
      }
      return undefined;
    }
    const token = args[i];
    if (token === undefined) return slot.endsWith("?") ? undefined : "Missing arguments";
    if (!matchesKind(token, kind)) {
      if (slot.endsWith("?")) continue;
      return `Invalid argument ${i + 1}`;
    }
    i++;
  }
  return i < args.length ? "Too many arguments" : undefined;
}

export async function dispatch(
  host: DispatchHost,
  registry: ReadonlyMap<string, AnyCommand>,
  parsed: ParsedCommand,
): Promise<void> {
  const { tag, name } = parsed;
  const command = registry.get(name);
  const refuse = (text: string): void => {
    host.tagged(tag, "BAD", undefined, text);
    host.badCommand();
  };
  if (!command) return refuse("Unknown command");
  if (!command.states.includes(host.state.kind)) {
    return refuse(wrongState(host.state.kind, command.states));
  }
  const problem = checkArgs(command.args, parsed.args);
  if (problem) return refuse(`${problem} for ${name}`);

  let completion: Completion = {};
  let failure: ImapError | undefined;
  try {
    const args = command.parse(parsed.args, { utf8: host.api.utf8 });
    completion =
      (await command.run({ tag, name, state: host.state, session: host.api }, args)) ?? {};
  } catch (error) {
    failure = error instanceof ImapError ? error : fromStoreError(error);
    if (failure.userError) host.api.log.debug({ command: name, err: failure.message }, "refused");
    else host.api.log.error({ command: name, err: error }, "command failed");
  }
  if (host.state.kind === "logout" || host.api.closed.aborted) {
    if (!failure) host.tagged(tag, "OK", completion.code, completion.text ?? `${name} completed`);
    await completion.after?.();
    return;
  }
  if (failure?.status !== "BAD") await sendUpdates(host, command.updates);
  if (failure) {
    host.tagged(tag, failure.status, failure.code, failure.text);
    if (failure.status === "BAD") host.badCommand();
    else host.goodCommand();
    return;
  }
  host.goodCommand();
  host.tagged(
    tag,
    completion.status ?? "OK",
    completion.code,
    completion.text ?? `${name} completed`,
  );
  await completion.after?.();
}

/** The updates a command's policy allows (RFC 9051 §7.5.1), before its tagged reply. */
export async function sendUpdates(host: DispatchHost, policy: UpdatePolicy): Promise<void> {
  const state = host.state;
  if (policy === "none" || state.kind !== "selected") return;
  try {
    await state.mailbox.sync(host.api.updates, policy === "all", state.account);
  } catch (error) {
    if (isStoreError(error, "NONEXISTENT")) {
      // Another session deleted the selected mailbox: nothing the client holds is valid now.
      host.bye("Selected mailbox was deleted");
      return;
    }
    host.api.log.error({ err: error }, "could not read mailbox changes");
  }
}
