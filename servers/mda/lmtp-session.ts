/**
 * One LMTP session (RFC 2033), without sockets: bytes in through `receive`, reply text out
 * through `io.write`. The two decisions that need the world (may this recipient receive mail,
 * deliver this message) are hooks; everything else is here.
 *
 * Commands are handled in order, one at a time: while a hook is pending, later pipelined
 * commands (RFC 2920) wait in the input buffer. Replies are written in one piece per batch of
 * input, not one write per line.
 *
 * The greeting goes out at once: the peer is our MTA or a local client, so there is nothing to
 * gain from an early-talker pause, and smtp-server's fixed 100 ms one capped deliveries that
 * open a connection per message at 10 per second per connection.
 */
import { DataReader } from "./data-reader.ts";
import { MAX_BAD_COMMANDS, MAX_COMMAND_LINE, MAX_PENDING_INPUT, MAX_RECIPIENTS } from "./limits.ts";
import { CLOSING, REPLIES, formatReply, type Reply } from "./replies.ts";

/** Where the session's output goes (server.ts binds it to a socket; tests to an array). */
export interface SessionIo {
  write(text: string): void;
  /** Closes the connection once what was written has gone out. */
  end(): void;
  /** Stops / restarts reading input (backpressure while a hook is pending). */
  pause(): void;
  resume(): void;
  /** STARTTLS (RFC 3207): wraps the connection; resolves once the handshake is done. */
  startTls?: () => Promise<void>;
}

export interface SessionFacts {
  /** Our host name, in the greeting and LHLO reply. */
  readonly hostname: string;
  readonly banner: string;
  /** Largest message accepted (SIZE, RFC 1870). */
  readonly maxMessageBytes: number;
  /** MAIL is refused until STARTTLS (a TCP client beyond loopback when TLS is configured). */
  readonly requireTls: boolean;
}

export interface Transaction<R> {
  /** The envelope sender; "" for the null sender. */
  readonly from: string;
  /** The LHLO argument. */
  readonly clientName: string;
  readonly secure: boolean;
  /** Accepted recipients in RCPT order, each with what its hook resolved it to. */
  readonly recipients: readonly { readonly address: string; readonly value: R }[];
}

export interface SessionHooks<R> {
  /** RCPT: accept with a value kept for delivery, or refuse with a reply. */
  rcpt(
    address: string,
    transaction: Transaction<R>,
  ): Promise<{ ok: true; value: R } | { ok: false; reply: Reply }>;
  /** After DATA: one reply per accepted recipient, in order (RFC 2033 §4.2). */
  deliver(message: Buffer, transaction: Transaction<R>): Promise<readonly Reply[]>;
  /** A hook failed unexpectedly (the client gets 451 4.3.0). */
  error(error: unknown): void;
}

type Recipient<R> = { readonly address: string; readonly value: R };

type State<R> =
  | { readonly kind: "new" } // before LHLO
  | { readonly kind: "ready"; readonly clientName: string }
  | {
      readonly kind: "mail";
      readonly clientName: string;
      readonly from: string;
      readonly recipients: Recipient<R>[];
    }
  | {
      readonly kind: "data";
      readonly clientName: string;
      readonly from: string;
      readonly recipients: Recipient<R>[];
      readonly reader: DataReader;
    }
  | { readonly kind: "closed" };

const HTTP_REQUEST = /^(OPTIONS|GET|HEAD|POST|PUT|DELETE|TRACE|CONNECT) \/.* HTTP\/\d\.\d$/i;
const EMPTY = Buffer.alloc(0);

export class LmtpSession<R> {
  private state: State<R> = { kind: "new" };
  private input: Buffer = EMPTY;
  private output = "";
  /** A hook or a TLS handshake is pending: input waits. */
  private waiting = false;
  private paused = false;
  private badCommands = 0;
  private secure = false;
  /** stop() was called: close as soon as no transaction is open. */
  private closing = false;

  constructor(
    private readonly io: SessionIo,
    private readonly hooks: SessionHooks<R>,
    private readonly facts: SessionFacts,
    /** Each command line, for the transcript at trace level (never message bodies). */
    private readonly transcript?: (line: string) => void,
  ) {}

  /** Sends the 220 greeting; a greeting carries no enhanced status code (RFC 2034 §3). */
  greet(): void {
    this.output += `220 ${this.facts.hostname} LMTP ${this.facts.banner}\r\n`;
    this.flush();
  }

  receive(chunk: Buffer): void {
    if (this.state.kind === "closed") return;
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    if (this.waiting) {
      if (this.input.length > MAX_PENDING_INPUT && !this.paused) {
        this.paused = true;
        this.io.pause();
      }
      return;
    }
    this.pump();
  }

  /** Whether a transaction (MAIL..DATA and its delivery) is open. */
  get busy(): boolean {
    return this.waiting || this.state.kind === "mail" || this.state.kind === "data";
  }

  /** Server shutdown: an idle session gets 421 now, a busy one after its transaction. */
  stop(): void {
    this.closing = true;
    if (!this.busy) this.close(CLOSING.shuttingDown);
  }

  /** The peer said nothing for too long. */
  timeout(): void {
    this.close(CLOSING.timeout);
  }

  /** The connection is gone: nothing more is written. */
  closed(): void {
    this.state = { kind: "closed" };
    this.input = EMPTY;
  }

  private pump(): void {
    while (!this.waiting && this.input.length > 0) {
      const state = this.state;
      if (state.kind === "closed") return;
      if (state.kind === "data") {
        const rest = state.reader.push(this.input);
        this.input = EMPTY;
        if (rest === undefined) break;
        this.input = rest;
        this.endData(state);
        continue;
      }
      if (this.closing && !this.busy) break;
      const newline = this.input.indexOf(0x0a);
      if (newline === -1) {
        if (this.input.length > MAX_COMMAND_LINE) {
          this.input = EMPTY;
          this.reply(REPLIES.lineTooLong);
          this.bad();
        }
        break;
      }
      const length = newline > 0 && this.input[newline - 1] === 0x0d ? newline - 1 : newline;
      const line = this.input.toString("utf8", 0, length);
      this.input = this.input.subarray(newline + 1);
      if (newline + 1 > MAX_COMMAND_LINE) {
        this.reply(REPLIES.lineTooLong);
        this.bad();
        continue;
      }
      this.transcript?.(line);
      this.command(line);
    }
    if (!this.waiting && this.paused) {
      this.paused = false;
      this.io.resume();
    }
    if (!this.waiting && this.closing && !this.busy) this.close(CLOSING.shuttingDown);
    this.flush();
  }

  private command(line: string): void {
    const space = line.indexOf(" ");
    const verb = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    const argument = space === -1 ? "" : line.slice(space + 1).trim();
    const state = this.state;
    if (HTTP_REQUEST.test(line)) {
      this.close(CLOSING.http);
      return;
    }
    switch (verb) {
      case "LHLO":
        return this.lhlo(argument);
      case "HELO":
      case "EHLO":
        return this.refuse(REPLIES.useLhlo);
      case "MAIL":
        if (state.kind === "new") return this.refuse(REPLIES.lhloFirst);
        if (state.kind !== "ready") return this.refuse(REPLIES.nestedMail);
        return this.mail(state.clientName, argument);
      case "RCPT":
        if (state.kind !== "mail") return this.refuse(REPLIES.mailFirst);
        return this.rcpt(state, argument);
      case "DATA":
        if (state.kind !== "mail") return this.refuse(REPLIES.mailFirst);
        if (state.recipients.length === 0) return this.refuse(REPLIES.noRecipients);
        this.state = { ...state, kind: "data", reader: new DataReader(this.keepLimit()) };
        return this.reply(REPLIES.startData);
      case "RSET":
        if (state.kind === "mail") this.state = { kind: "ready", clientName: state.clientName };
        return this.reply(REPLIES.reset);
      case "NOOP":
        return this.reply(REPLIES.ok);
      case "VRFY":
        return this.reply(REPLIES.cannotVerify);
      case "HELP":
        return this.reply(REPLIES.help);
      case "QUIT":
        return this.close(CLOSING.bye);
      case "STARTTLS":
        return this.startTls();
      default:
        return this.refuse(REPLIES.unrecognized);
    }
  }

  private lhlo(argument: string): void {
    if (argument === "" || /\s/.test(argument)) return this.refuse(REPLIES.badSyntax);
    // A new LHLO resets the session (RFC 5321 §4.1.4), an open transaction included.
    this.state = { kind: "ready", clientName: argument };
    const features = [
      this.facts.hostname,
      "PIPELINING",
      "ENHANCEDSTATUSCODES",
      "8BITMIME",
      "SMTPUTF8",
      `SIZE ${this.facts.maxMessageBytes}`,
      ...(this.io.startTls && !this.secure ? ["STARTTLS"] : []),
    ];
    // The LHLO reply carries no enhanced status code either (RFC 2034 §3).
    this.output += formatReply({ code: 250, enhanced: "", text: "" }, features);
  }

  private mail(clientName: string, argument: string): void {
    if (this.facts.requireTls && !this.secure) return this.reply(REPLIES.tlsRequired);
    const match = /^FROM:\s*<([^<>\s]*)>(.*)$/i.exec(argument);
    if (!match) return this.refuse(REPLIES.badAddress);
    const [, from = "", parameters = ""] = match;
    for (const parameter of parameters.trim().split(/\s+/).filter(Boolean)) {
      const [key = "", value] = parameter.toUpperCase().split("=", 2);
      if (key === "SIZE") {
        if (value === undefined || !/^\d{1,15}$/.test(value)) return this.refuse(REPLIES.badSyntax);
        if (Number(value) > this.facts.maxMessageBytes) return this.reply(REPLIES.tooBig);
      } else if (key === "BODY") {
        if (value !== "7BIT" && value !== "8BITMIME") return this.reply(REPLIES.unknownParameter);
      } else if (key !== "SMTPUTF8" || value !== undefined) {
        return this.reply(REPLIES.unknownParameter);
      }
    }
    this.state = { kind: "mail", clientName, from, recipients: [] };
    this.reply(REPLIES.senderOk);
  }

  private rcpt(state: Extract<State<R>, { kind: "mail" }>, argument: string): void {
    const match = /^TO:\s*<([^<>\s]+)>\s*$/i.exec(argument);
    if (!match) {
      // Parameters (DSN's NOTIFY, ORCPT) are not offered.
      return /^TO:\s*<[^<>\s]+>\s+\S/i.test(argument)
        ? this.reply(REPLIES.unknownParameter)
        : this.refuse(REPLIES.badAddress);
    }
    if (state.recipients.length >= MAX_RECIPIENTS) return this.reply(REPLIES.tooManyRecipients);
    const address = match[1] ?? "";
    this.wait(
      this.hooks.rcpt(address, this.transaction(state)).then((outcome) => {
        // RSET, LHLO or a closed connection while the lookup ran: the answer is still owed.
        if (outcome.ok && this.state === state)
          state.recipients.push({ address, value: outcome.value });
        this.reply(outcome.ok ? REPLIES.recipientOk : outcome.reply);
      }),
    );
  }

  private endData(state: Extract<State<R>, { kind: "data" }>): void {
    this.state = { kind: "ready", clientName: state.clientName };
    const message = state.reader.message(this.facts.maxMessageBytes);
    if (message === undefined) {
      for (let i = 0; i < state.recipients.length; i++) this.reply(REPLIES.tooBig);
      return;
    }
    this.wait(
      this.hooks.deliver(message, this.transaction(state)).then((replies) => {
        for (let i = 0; i < state.recipients.length; i++) {
          this.reply(replies[i] ?? REPLIES.storageFailure);
        }
      }),
      state.recipients.length,
    );
  }

  private startTls(): void {
    const start = this.io.startTls;
    if (!start || this.secure) return this.refuse(REPLIES.tlsUnavailable);
    if (this.state.kind === "mail") return this.refuse(REPLIES.badSequence);
    this.reply(REPLIES.tlsReady);
    this.flush();
    // Whatever was pipelined after STARTTLS came in the clear: drop it (RFC 3207 §4.2,
    // the STARTTLS command injection of CVE-2011-0411).
    this.input = EMPTY;
    this.waiting = true;
    start().then(
      () => {
        this.secure = true;
        this.state = { kind: "new" }; // the client must LHLO again (RFC 3207 §4.2)
        this.waiting = false;
        this.pump(); // what came over TLS during the handshake
      },
      () => this.closed(),
    );
  }

  private transaction(state: Extract<State<R>, { kind: "mail" | "data" }>): Transaction<R> {
    return {
      from: state.from,
      clientName: state.clientName,
      secure: this.secure,
      recipients: state.recipients,
    };
  }

  /** Runs a hook; commands after it wait. A failure answers 451 4.3.0 `failures` times. */
  private wait(work: Promise<void>, failures = 1): void {
    this.waiting = true;
    this.flush();
    work
      .catch((error: unknown) => {
        this.hooks.error(error);
        for (let i = 0; i < failures; i++) this.reply(REPLIES.storageFailure);
      })
      .finally(() => {
        this.waiting = false;
        this.pump();
      })
      .catch((error: unknown) => this.hooks.error(error));
  }

  private keepLimit(): number {
    // Dot-stuffing adds a byte to lines that start with a dot: leave room for some.
    return this.facts.maxMessageBytes + Math.ceil(this.facts.maxMessageBytes / 64) + 1024;
  }

  private reply(reply: Reply): void {
    if (this.state.kind === "closed") return;
    this.output += formatReply(reply);
  }

  /** A client mistake: answered, counted, and the session closed after too many. */
  private refuse(reply: Reply): void {
    this.reply(reply);
    this.bad();
  }

  private bad(): void {
    if (++this.badCommands > MAX_BAD_COMMANDS) this.close(CLOSING.tooManyErrors);
  }

  private close(reply: Reply): void {
    if (this.state.kind === "closed") return;
    this.output += formatReply(reply, [`${this.facts.hostname} ${reply.text}`]);
    this.flush();
    this.closed();
    this.io.end();
  }

  private flush(): void {
    if (this.output === "" || this.state.kind === "closed") return;
    const text = this.output;
    this.output = "";
    this.io.write(text);
  }
}
