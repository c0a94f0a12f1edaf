/**
 * What a command module declares (name, allowed states, arguments, whether it needs TLS) and
 * what it may do to its session (CommandContext). The dispatcher checks state, TLS and arity
 * once, so no command re-checks them.
 */
import type { Directory } from "../shared/directory/types.ts";
import type { Logger } from "../shared/log.ts";
import type { MailStore } from "../store/index.ts";
import type { Maildrop, MaildropLocks } from "./maildrop.ts";
import type { Reply } from "./replies.ts";

/**
 * The session's state (RFC 1939 §3), a discriminated union switched in Pop3Session alone.
 * - `authorization`: before login; `user` once USER was accepted.
 * - `sasl`: AUTH sent "+ " and waits for the client's response line (RFC 5034 §4).
 * - `transaction`: logged in, with the maildrop snapshot.
 * - `closed`: after QUIT, a timeout, a drop or too many errors; input is ignored.
 * The UPDATE state of RFC 1939 §6 lives inside QUIT: it ends in `closed` either way.
 */
export type SessionState =
  | { readonly kind: "authorization"; readonly user?: string }
  | { readonly kind: "sasl"; readonly mechanism: "PLAIN" }
  | {
      readonly kind: "transaction";
      readonly userId: string;
      readonly maildrop: Maildrop;
    }
  | { readonly kind: "closed" };

/** The states in which commands are read (in `sasl` a line is a response, not a command). */
export type CommandState = "authorization" | "transaction";

export type StateOf<K extends SessionState["kind"]> = Extract<SessionState, { kind: K }>;

/** What every session of a server shares. */
export interface SessionDependencies {
  readonly hostname: string;
  readonly directory: Directory;
  readonly store: MailStore;
  readonly locks: MaildropLocks;
  readonly log: Logger;
}

export interface CommandContext {
  readonly deps: SessionDependencies;
  /** The connection's logger (with its connection id). */
  readonly log: Logger;
  readonly remoteAddress: string;
  /** TLS is active (implicit-TLS port, or after STLS). */
  readonly secure: boolean;
  /** STLS may be issued: a cleartext port and no TLS yet. */
  readonly stlsAvailable: boolean;
  /** True once the connection is gone or closing; long writes stop. */
  readonly closed: boolean;
  /** Sends a status line. */
  reply(reply: Reply): Promise<void>;
  /** Sends a status line then a multi-line body (dot-stuffed) and the terminating ".". */
  replyLines(first: Reply, lines: Iterable<string>): Promise<void>;
  /** Sends raw bytes (an already dot-stuffed message), waiting for the socket to drain. */
  write(data: Uint8Array): Promise<void>;
  setState(state: SessionState): void;
  /** STLS: sends the reply, drops pipelined input and negotiates TLS (RFC 2595 §4). */
  startTls(reply: Reply): Promise<void>;
  /** Counts a failed login; after too many, the session is closed (the reply still goes out). */
  authenticationFailed(): void;
  /** Closes the connection after what was written (no UPDATE state). */
  close(): void;
}

export interface Arity {
  readonly min: number;
  readonly max: number;
  /**
   * The whole text after the command and one space is the single argument (PASS: RFC 1939 §7
   * lets a password contain spaces).
   */
  readonly rest?: boolean;
}

export interface CommandSpec<K extends CommandState> {
  /** The keyword, upper case. */
  readonly name: string;
  readonly states: readonly K[];
  readonly args: Arity;
  /** Refused before TLS with [SYS/PERM]: the commands that carry credentials (RFC 2595 §2.3). */
  readonly needsTls?: boolean;
  /** Throws ProtocolError for a client mistake; the dispatcher sends its reply. */
  run(ctx: CommandContext, state: StateOf<K>, args: readonly string[]): Promise<void>;
}

/** A command as the registry holds it, whatever its states. */
export interface Command extends Omit<CommandSpec<CommandState>, "run"> {
  /** Only called by the dispatcher, after it checked `states`. */
  run(ctx: CommandContext, state: StateOf<CommandState>, args: readonly string[]): Promise<void>;
}

/** Declares a command with its states inferred, so `run` gets the narrowed state. */
export function defineCommand<K extends CommandState>(spec: CommandSpec<K>): Command {
  return {
    ...spec,
    // The dispatcher calls run only in one of `spec.states`, so the state is a StateOf<K>.
    run: (ctx, state, args) => spec.run(ctx, state as StateOf<K>, args),
  };
}
