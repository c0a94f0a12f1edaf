/**
 * What a command module declares (the wildduck/mox shape): its name, the states it is allowed
 * in, its argument schema, which untagged updates may follow it, how its tokens become typed
 * arguments, and the operation. The dispatcher checks state and arity once; `run` never does.
 */
import type { Directory, User } from "../../shared/directory/types.ts";
import type { Logger } from "../../shared/log.ts";
import type { MailStore } from "../../store/index.ts";
import type { Value } from "../protocol/serializer.ts";
import type { ArgKind, Token } from "../protocol/tokens.ts";
import type { SpamLearner } from "../spam-learn.ts";
import type { UpdateSink } from "./selected-mailbox.ts";
import type { Extension, SessionState, StateKind, StateOf } from "./state.ts";

/** One argument: a kind, optional (`?`), or the rest of the arguments (`...`). */
export type ArgSlot = ArgKind | `${ArgKind}?` | `${ArgKind}...`;

/**
 * RFC 9051 §7.5.1: which untagged updates may be sent before the tagged reply.
 * `all`: any; `no-expunge`: EXISTS and FETCH but no EXPUNGE (commands that take sequence
 * numbers: FETCH, STORE, SEARCH, COPY, MOVE, SORT, THREAD); `none`: nothing (no mailbox).
 */
export type UpdatePolicy = "all" | "no-expunge" | "none";

export interface Completion {
  readonly status?: "OK" | "NO";
  readonly code?: string;
  readonly text?: string;
  /** Runs after the tagged reply is written (STARTTLS, COMPRESS, LOGOUT). */
  readonly after?: () => Promise<void> | void;
}

export interface SessionSettings {
  /** Server name for the greeting. */
  readonly hostname: string;
  /** STARTTLS is offered on this connection. */
  readonly starttls: boolean;
  /** LOGIN and AUTHENTICATE PLAIN allowed without TLS (tests, loopback-only setups). */
  readonly insecureAuth: boolean;
  readonly unauthenticatedTimeoutMs: number;
  readonly authenticatedTimeoutMs: number;
  readonly idleKeepaliveMs: number;
}

/** What sessions share: the directory, the store, the spam learner, logging. */
export interface ImapServices {
  readonly directory: Directory;
  readonly store: MailStore;
  readonly log: Logger;
  readonly spam: SpamLearner | undefined;
}

/** The session as commands see it. */
export interface SessionApi {
  readonly services: ImapServices;
  readonly settings: SessionSettings;
  readonly log: Logger;
  readonly remoteAddress: string;
  readonly secure: boolean;
  readonly compressed: boolean;
  readonly enabled: ReadonlySet<Extension>;
  /** Strings and mailbox names in UTF-8 (IMAP4rev2 or UTF8=ACCEPT enabled). */
  readonly utf8: boolean;
  readonly rev2: boolean;
  /** Untagged updates and their forms (CONDSTORE, QRESYNC). */
  readonly updates: UpdateSink;
  /** Aborted when the connection closes. */
  readonly closed: AbortSignal;
  enable(extension: Extension): void;
  capabilities(): string[];
  /** `* <values>` */
  send(values: Value[]): void;
  /** Several untagged responses in one write (batches of small FETCH responses). */
  sendMany(responses: Value[][]): void;
  /** Untagged responses already encoded (the simple FETCH path). */
  sendRaw(data: Buffer): void;
  /** `+ text` */
  continuation(text: string): void;
  /** The next raw line from the client (AUTHENTICATE responses, DONE); undefined at close. */
  readLine(): Promise<Buffer | undefined>;
  /** Waits until written data has drained (backpressure during big FETCHes). */
  flush(): Promise<void>;
  /** Opens the user's account and enters the authenticated state. */
  login(user: User): Promise<void>;
  setState(state: SessionState): void;
  /** Counts a failed authentication; ends the session after too many. */
  authFailed(): void;
  /** Restarts the inactivity timer (IDLE re-arms it, RFC 2177). */
  rearmTimer(): void;
  startTls(): Promise<void>;
  startCompression(): void;
  /** Ends the session after what was written has been sent. */
  close(): void;
  /** `* BYE text`, then close. */
  bye(text: string): void;
}

export interface CommandContext<S extends SessionState = SessionState> {
  readonly tag: string;
  readonly name: string;
  readonly state: S;
  readonly session: SessionApi;
}

/** What parsing may depend on: how strings are encoded in this session. */
export interface ParseContext {
  readonly utf8: boolean;
}

export interface Command<K extends StateKind = StateKind, A = unknown> {
  readonly name: string;
  readonly states: readonly K[];
  readonly args: readonly ArgSlot[];
  readonly updates: UpdatePolicy;
  parse(args: readonly Token[], context: ParseContext): A;
  run(context: CommandContext<StateOf<K>>, args: A): Promise<Completion | void> | Completion | void;
}

/** The registry's view of any command (its argument type erased). */
export interface AnyCommand {
  readonly name: string;
  readonly states: readonly StateKind[];
  readonly args: readonly ArgSlot[];
  readonly updates: UpdatePolicy;
  parse(args: readonly Token[], context: ParseContext): unknown;
  run(context: CommandContext, args: unknown): Promise<Completion | void> | Completion | void;
}

/** Declares a command; the dispatcher guarantees `run` sees one of `states`. */
export function defineCommand<K extends StateKind, A>(spec: Command<K, A>): AnyCommand {
  // Method parameters are bivariant, so the argument type is erased without a cast: `parse`
  // produces exactly what `run` takes.
  return spec;
}

/** For commands without arguments. */
export const noArgs = (): undefined => undefined;
