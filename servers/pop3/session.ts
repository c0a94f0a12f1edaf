/**
 * One POP3 connection, without a socket: bytes in (`receive`), bytes out (through a Transport).
 * server.ts binds it to a socket; the unit tests drive it with an in-memory transport.
 *
 * Lines are handled one at a time, in order, so pipelined commands (RFC 2449 §6.6) get their
 * replies in order; input that piles up while a command runs pauses the transport. The state is
 * a discriminated union (command.ts) switched in `#handle` alone.
 */
import { transcriptLine, type Logger } from "../shared/log.ts";
import type { CommandContext, SessionDependencies, SessionState } from "./command.ts";
import { saslContinuation } from "./commands/auth.ts";
import { dispatch } from "./dispatcher.ts";
import {
  LISTING_BATCH_LINES,
  MAX_AUTH_FAILURES,
  MAX_BAD_COMMANDS,
  MAX_COMMAND_LINE_BYTES,
  MAX_OVERLONG_LINE_BYTES,
  MAX_PENDING_INPUT_BYTES,
  MAX_SASL_LINE_BYTES,
} from "./limits.ts";
import { TransferAborted } from "./message-stream.ts";
import { formatReply, REPLIES, type Reply } from "./replies.ts";

/** The socket side of a session. */
export interface Transport {
  /** Sends bytes; resolves when the socket can take more (or is gone). */
  write(data: Uint8Array): Promise<void>;
  /**
   * Sends `reply` in the clear, then negotiates TLS as the server (STLS); resolves once the
   * handshake completed, rejects when it failed.
   */
  startTls(reply: Uint8Array): Promise<void>;
  /** Stops delivering input until resume(). */
  pause(): void;
  resume(): void;
  /** Ends the connection once what was written has been sent. */
  close(): void;
}

export interface SessionOptions {
  readonly remoteAddress: string;
  /** TLS from the first byte (the 995-style port). */
  readonly implicitTls: boolean;
  /** This listener offers STLS (the 110-style port). */
  readonly stls: boolean;
  /** The connection's logger; default a child of deps.log. */
  readonly log?: Logger;
}

type Line = { readonly kind: "line"; readonly bytes: Buffer } | { readonly kind: "overlong" };

const EMPTY = Buffer.alloc(0);
const CRLF = "\r\n";

export class Pop3Session {
  #state: SessionState = { kind: "authorization" };
  #input: Buffer = EMPTY;
  #discarding = 0;
  #started = false;
  #running = false;
  #paused = false;
  #upgrading = false;
  #closed = false;
  #stopping = false;
  #hangUpAfterCommand = false;
  #secure: boolean;
  #badCommands = 0;
  #authFailures = 0;
  readonly #log: Logger;
  readonly #context: CommandContext;

  constructor(
    private readonly deps: SessionDependencies,
    private readonly options: SessionOptions,
    private readonly transport: Transport,
  ) {
    this.#secure = options.implicitTls;
    this.#log = options.log ?? deps.log.child({ remote: options.remoteAddress });
    this.#context = this.#makeContext();
  }

  /** The state's kind, for tests and logs. */
  get state(): SessionState["kind"] {
    return this.#state.kind;
  }

  get secure(): boolean {
    return this.#secure;
  }

  /** Sends the greeting (RFC 1939 §4), then handles any input that came early. */
  async start(): Promise<void> {
    await this.#context.reply(REPLIES.greeting(this.deps.hostname));
    this.#started = true;
    this.#pump();
  }

  receive(chunk: Uint8Array): void {
    if (this.#closed || this.#upgrading || this.#state.kind === "closed") return;
    this.#input =
      this.#input.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#input, chunk]);
    if (this.#input.length > MAX_PENDING_INPUT_BYTES && !this.#paused && this.#running) {
      this.#paused = true;
      this.transport.pause();
    }
    this.#pump();
  }

  /** The autologout timer fired (RFC 1939 §3): no UPDATE state, marked messages stay. */
  timeout(): void {
    if (this.#closed) return;
    this.#log.info("idle timeout");
    void this.#context.reply(REPLIES.idleTimeout);
    this.#hangUp();
  }

  /** The server is stopping: the current command finishes, then the session ends. */
  shutdown(): void {
    this.#stopping = true;
    if (!this.#running && !this.#closed) {
      void this.#context.reply(REPLIES.shuttingDown);
      this.#hangUp();
    }
  }

  /** The connection is gone. Marked messages stay (RFC 1939 §6: no QUIT, no UPDATE). */
  end(): void {
    this.#closed = true;
    this.#release();
  }

  #pump(): void {
    if (this.#running || !this.#started) return;
    this.#running = true;
    this.#loop().catch((error: unknown) => {
      this.#running = false;
      this.#log.error({ err: error }, "session failed");
      this.#hangUp();
    });
  }

  async #loop(): Promise<void> {
    for (;;) {
      const line = this.#closed || this.#state.kind === "closed" ? undefined : this.#nextLine();
      if (line === undefined) {
        this.#running = false; // in the same tick as the check: receive() restarts the loop
        if (this.#stopping) this.shutdown();
        return;
      }
      await this.#handle(line);
      if (this.#hangUpAfterCommand) this.#hangUp();
      else if (this.#stopping && !this.#closed) {
        await this.#context.reply(REPLIES.shuttingDown);
        this.#hangUp();
      }
      if (this.#paused && this.#input.length < MAX_PENDING_INPUT_BYTES / 2) {
        this.#paused = false;
        this.transport.resume();
      }
    }
  }

  /** The next complete line without its CRLF (a bare LF is accepted too). */
  #nextLine(): Line | undefined {
    const limit = this.#state.kind === "sasl" ? MAX_SASL_LINE_BYTES : MAX_COMMAND_LINE_BYTES;
    for (;;) {
      const lf = this.#input.indexOf(0x0a);
      if (lf === -1) {
        if (this.#input.length <= limit && this.#discarding === 0) return undefined;
        // An overlong line: answered once, then discarded up to its end.
        const first = this.#discarding === 0;
        this.#discarding += this.#input.length;
        this.#input = EMPTY;
        if (this.#discarding > MAX_OVERLONG_LINE_BYTES) this.#badCommands = MAX_BAD_COMMANDS - 1;
        return first || this.#discarding > MAX_OVERLONG_LINE_BYTES
          ? { kind: "overlong" }
          : undefined;
      }
      const raw = this.#input.subarray(0, lf);
      this.#input = this.#input.subarray(lf + 1);
      if (this.#discarding > 0) {
        this.#discarding = 0;
        continue;
      }
      const bytes = raw.at(-1) === 0x0d ? raw.subarray(0, -1) : raw;
      return bytes.length > limit ? { kind: "overlong" } : { kind: "line", bytes };
    }
  }

  async #handle(line: Line): Promise<void> {
    if (line.kind === "overlong") return this.#refuse(REPLIES.lineTooLong);
    // NUL and other C0 controls but TAB have no place in a POP3 command (binary junk, TLS).
    if (line.bytes.some((b) => b < 0x20 && b !== 0x09)) return this.#refuse(REPLIES.badCharacters);
    const text = line.bytes.toString("utf8");
    const state = this.#state;
    this.#log.trace(
      { line: transcriptLine(text, { authContinuation: state.kind === "sasl" }) },
      "C",
    );
    switch (state.kind) {
      case "closed":
        return;
      case "sasl":
        return saslContinuation(this.#context, text);
      case "authorization":
      case "transaction": {
        const outcome = await dispatch(this.#context, state, text);
        if (outcome === "bad") this.#badCommand();
        else if (outcome === "hang-up") this.#hangUp();
        return;
      }
    }
  }

  async #refuse(reply: Reply): Promise<void> {
    // A broken line during AUTH's continuation ends the exchange (RFC 5034 §4).
    if (this.#state.kind === "sasl") this.#state = { kind: "authorization" };
    await this.#context.reply(reply);
    this.#badCommand();
  }

  #badCommand(): void {
    if (++this.#badCommands < MAX_BAD_COMMANDS) return;
    this.#log.info({ badCommands: this.#badCommands }, "too many bad commands");
    void this.#context.reply(REPLIES.tooManyErrors);
    this.#hangUp();
  }

  #hangUp(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
    this.transport.close();
  }

  /** Leaves the maildrop as it was (no UPDATE state) and unlocks it. */
  #release(): void {
    const state = this.#state;
    this.#state = { kind: "closed" };
    if (state.kind === "transaction") {
      state.maildrop.close().catch((error: unknown) => {
        this.#log.error({ err: error }, "closing the maildrop failed");
      });
    }
  }

  async #startTls(reply: Reply): Promise<void> {
    const line = formatReply(reply);
    this.#log.trace({ line }, "S");
    this.#upgrading = true;
    this.#input = EMPTY; // RFC 7457 §2.2: nothing pipelined in the clear survives the upgrade
    try {
      await this.transport.startTls(Buffer.from(line + CRLF));
    } catch (error) {
      this.#log.info({ err: (error as Error).message }, "STLS handshake failed");
      this.#hangUp();
      return;
    }
    this.#upgrading = false;
    this.#input = EMPTY;
    this.#secure = true;
    this.#state = { kind: "authorization" };
    this.#log.debug("TLS started");
  }

  #makeContext(): CommandContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const session = this;
    const write = async (data: Uint8Array) => {
      if (session.#closed) throw new TransferAborted("connection closed");
      await session.transport.write(data);
    };
    const reply = async (r: Reply) => {
      if (session.#closed) return;
      const line = formatReply(r);
      session.#log.trace({ line }, "S");
      await session.transport.write(Buffer.from(line + CRLF));
    };
    return {
      deps: this.deps,
      log: this.#log,
      remoteAddress: this.options.remoteAddress,
      get secure() {
        return session.#secure;
      },
      get stlsAvailable() {
        return session.options.stls && !session.#secure;
      },
      get closed() {
        return session.#closed;
      },
      reply,
      async replyLines(first, lines) {
        await reply(first);
        let batch: string[] = [];
        for (const line of lines) {
          batch.push(line.startsWith(".") ? `.${line}` : line);
          if (batch.length >= LISTING_BATCH_LINES) {
            await write(Buffer.from(batch.join(CRLF) + CRLF));
            batch = [];
          }
        }
        batch.push(".");
        await write(Buffer.from(batch.join(CRLF) + CRLF));
      },
      write,
      setState: (state) => {
        this.#state = state;
      },
      startTls: (r) => this.#startTls(r),
      authenticationFailed: () => {
        if (++this.#authFailures >= MAX_AUTH_FAILURES) this.#hangUpAfterCommand = true;
      },
      close: () => this.#hangUp(),
    };
  }
}
