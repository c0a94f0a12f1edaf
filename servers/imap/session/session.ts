/**
 * The session core: bytes in (`receive`), responses out (the Transport), and nothing else. It
 * frames commands, hands them to the dispatcher one at a time, and owns the session's state,
 * timers and limits. server.ts binds it to a socket; the tests drive it directly.
 */
import type { User } from "../../shared/directory/types.ts";
import { transcriptLine, type Logger } from "../../shared/log.ts";
import type { StoreEvent } from "../../store/index.ts";
import {
  MAX_APPEND_LITERAL_BYTES,
  MAX_AUTH_FAILURES,
  MAX_BAD_COMMANDS,
  MAX_LITERAL_BYTES,
} from "../limits.ts";
import { ParseError } from "../protocol/errors.ts";
import type { Frame } from "../protocol/framer.ts";
import { parseCommand } from "../protocol/parser.ts";
import {
  atom,
  continuation,
  statusLine,
  untagged,
  untaggedMany,
  type Value,
} from "../protocol/serializer.ts";
import { capabilities } from "./capabilities.ts";
import type { AnyCommand, ImapServices, SessionApi, SessionSettings } from "./command.ts";
import { dispatch, type DispatchHost } from "./dispatcher.ts";
import { CommandInput } from "./input.ts";
import type { UpdateSink } from "./selected-mailbox.ts";
import type { Extension, SessionState } from "./state.ts";
import type { Transport } from "./transport.ts";

const HTTP_REQUEST = /^(GET|POST|HEAD|PUT|DELETE|OPTIONS|CONNECT|PATCH|TRACE) \S+ HTTP\/\d/i;

export class ImapSession implements SessionApi, DispatchHost {
  state: SessionState = { kind: "not-authenticated" };
  log: Logger;
  readonly #input: CommandInput;
  readonly #enabled = new Set<Extension>();
  readonly #closed = new AbortController();
  #badInRow = 0;
  #authFailures = 0;
  #commands = 0;
  #timer: NodeJS.Timeout | undefined;
  #needDrain = false;
  #compressed = false;
  #ending = false;
  #unwatch: (() => void) | undefined;

  constructor(
    private readonly transport: Transport,
    readonly services: ImapServices,
    readonly settings: SessionSettings,
    private readonly registry: ReadonlyMap<string, AnyCommand>,
    log?: Logger,
  ) {
    this.log = log ?? services.log;
    const limit = (command: string) =>
      command === "APPEND" && this.state.kind !== "not-authenticated"
        ? MAX_APPEND_LITERAL_BYTES
        : MAX_LITERAL_BYTES;
    this.#input = new CommandInput(limit, {
      command: (frame) => this.#execute(frame),
      literalAccepted: () => this.continuation("Ready for literal data"),
      literalRefused: (tag, command) => {
        if (command === "APPEND" && this.state.kind !== "not-authenticated") {
          this.tagged(tag ?? "*", "NO", "TOOBIG", "Message too big");
        } else {
          this.tagged(tag ?? "*", "BAD", "TOOBIG", "Literal too big");
          this.badCommand();
        }
      },
      fatal: (text, error) => {
        if (error) this.log.error({ err: error }, "session failed");
        this.bye(text);
      },
      pause: () => this.transport.pause(),
      resume: () => {
        if (!this.#ending) this.transport.resume();
      },
    });
  }

  get api(): SessionApi {
    return this;
  }

  get remoteAddress(): string {
    return this.transport.remoteAddress;
  }

  get secure(): boolean {
    return this.transport.secure;
  }

  get compressed(): boolean {
    return this.#compressed;
  }

  get enabled(): ReadonlySet<Extension> {
    return this.#enabled;
  }

  get utf8(): boolean {
    return this.#enabled.has("IMAP4REV2") || this.#enabled.has("UTF8=ACCEPT");
  }

  get rev2(): boolean {
    return this.#enabled.has("IMAP4REV2");
  }

  get closed(): AbortSignal {
    return this.#closed.signal;
  }

  get updates(): UpdateSink {
    return {
      send: (values) => this.send(values),
      condstore: this.#enabled.has("CONDSTORE") || this.#enabled.has("QRESYNC"),
      qresync: this.#enabled.has("QRESYNC"),
    };
  }

  /** Sends the greeting (RFC 9051 §7.1.1) and starts the autologout timer. */
  start(): void {
    const code = `CAPABILITY ${this.capabilities().join(" ")}`;
    this.#write(statusLine("*", "OK", code, `${this.settings.hostname} IMAP ready`));
    this.rearmTimer();
  }

  /** Bytes from the client. */
  receive(chunk: Buffer): void {
    if (this.#ending) return;
    this.rearmTimer();
    this.#input.receive(chunk);
  }

  /** The connection is gone (closed by either side): release everything. */
  ended(): void {
    if (this.#closed.signal.aborted) return;
    this.#ending = true;
    this.#closed.abort();
    clearTimeout(this.#timer);
    this.#unwatch?.();
    this.#input.stop();
    const state = this.state;
    this.state = { kind: "logout" };
    if (state.kind === "authenticated" || state.kind === "selected") {
      state.account.close().catch((error: unknown) => this.log.warn({ err: error }, "close"));
    }
  }

  /** `* BYE text`, then close (server shutdown, timeouts, abuse). */
  bye(text: string): void {
    if (this.#ending) return;
    this.#write(statusLine("*", "BYE", undefined, text));
    this.close();
  }

  capabilities(): string[] {
    const authenticated = this.state.kind === "authenticated" || this.state.kind === "selected";
    return capabilities({
      authenticated,
      secure: this.secure,
      starttls: this.settings.starttls,
      insecureAuth: this.settings.insecureAuth,
      compressed: this.#compressed,
    });
  }

  enable(extension: Extension): void {
    const condstore = this.#enabled.has("CONDSTORE");
    this.#enabled.add(extension);
    if (!condstore && (extension === "CONDSTORE" || extension === "QRESYNC")) {
      // RFC 7162 §3.1: turned on while a mailbox is selected, CONDSTORE reports its HIGHESTMODSEQ.
      const state = this.state;
      if (state.kind === "selected") {
        this.send([atom("OK"), atom(`[HIGHESTMODSEQ ${state.mailbox.syncedModseq}] Highest`)]);
      }
    }
    // RFC 7162 §3.2.3: enabling QRESYNC implies CONDSTORE.
    if (extension === "QRESYNC") this.#enabled.add("CONDSTORE");
  }

  send(values: Value[]): void {
    this.#write(untagged(values, { utf8: this.utf8 }));
  }

  sendRaw(data: Buffer): void {
    if (data.length > 0) this.#write(data);
  }

  sendMany(responses: Value[][]): void {
    if (responses.length > 0) this.#write(untaggedMany(responses, { utf8: this.utf8 }));
  }

  continuation(text: string): void {
    this.#write(continuation(text));
  }

  tagged(tag: string, status: "OK" | "NO" | "BAD", code: string | undefined, text: string): void {
    this.log.trace({ s: `${tag} ${status}${code ? ` [${code.slice(0, 80)}]` : ""} ${text}` });
    this.#write(statusLine(tag, status, code, text));
  }

  readLine(): Promise<Buffer | undefined> {
    return this.#input.readLine();
  }

  async flush(): Promise<void> {
    if (!this.#needDrain || this.#ending) return;
    this.#needDrain = false;
    await this.transport.drain();
  }

  async login(user: User): Promise<void> {
    const account = await this.services.store.openAccount(user.id, {
      quota: { storageBytes: user.quotaBytes },
    });
    if (this.#closed.signal.aborted) {
      // The client left while the directory and the store answered: nothing to attach to.
      await account.close();
      return;
    }
    this.#unwatch = account.watch((event) => this.#onStoreEvent(event));
    this.state = { kind: "authenticated", user, account };
    this.log = this.log.child({ user: user.id });
    this.rearmTimer();
  }

  setState(state: SessionState): void {
    this.state = state;
  }

  authFailed(): void {
    if (++this.#authFailures >= MAX_AUTH_FAILURES) this.bye("Too many authentication failures");
  }

  badCommand(): void {
    if (++this.#badInRow >= MAX_BAD_COMMANDS) this.bye("Too many invalid commands");
  }

  goodCommand(): void {
    this.#badInRow = 0;
  }

  rearmTimer(): void {
    clearTimeout(this.#timer);
    if (this.#ending) return;
    const ms =
      this.state.kind === "not-authenticated"
        ? this.settings.unauthenticatedTimeoutMs
        : this.settings.authenticatedTimeoutMs;
    this.#timer = setTimeout(() => {
      // A long command (a big FETCH to a slow client) is activity too; waiting for the client
      // (between commands, in IDLE, in AUTHENTICATE) is not.
      if (this.#input.working) this.rearmTimer();
      else this.bye("Autologout; idle for too long");
    }, ms);
    this.#timer.unref();
  }

  async startTls(): Promise<void> {
    // Whatever the client sent after STARTTLS was sent in the clear: never act on it.
    this.#input.drain();
    try {
      await this.transport.startTls();
    } catch (error) {
      // A client that cannot complete the handshake is the client's problem: end quietly.
      this.log.debug({ err: (error as Error).message }, "STARTTLS handshake failed");
      this.close();
    }
  }

  startCompression(): void {
    this.#compressed = true;
    this.transport.startCompression(this.#input.drain());
  }

  close(): void {
    if (this.#ending) return;
    this.#ending = true;
    clearTimeout(this.#timer);
    // Nothing the client pipelined after this point is acted on.
    this.#input.stop();
    this.transport.close();
  }

  #write(data: Buffer): void {
    if (this.#ending) return;
    if (!this.transport.write(data)) this.#needDrain = true;
  }

  #onStoreEvent(event: StoreEvent): void {
    const state = this.state;
    if (state.kind !== "selected") return;
    // "mailboxes" may mean ours was deleted: the next sync finds out.
    if (event.type === "mailboxes" || event.mailboxId === state.mailbox.id) {
      state.mailbox.noteChange();
    }
  }

  async #execute(frame: Frame): Promise<void> {
    const first = (frame.segments[0] as Buffer).toString("latin1");
    if (this.#commands++ === 0 && HTTP_REQUEST.test(first)) {
      this.bye("This is an IMAP server, not a web server");
      return;
    }
    this.log.trace({ c: transcriptLine(first.slice(0, 500)) });
    let parsed;
    try {
      parsed = parseCommand(frame);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      this.tagged(error.tag ?? "*", "BAD", undefined, error.message);
      this.badCommand();
      return;
    }
    await dispatch(this, this.registry, parsed);
  }
}
