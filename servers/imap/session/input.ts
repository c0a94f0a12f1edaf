/**
 * The session's input side: bytes are framed into commands one at a time, each command runs to
 * its end before the next is framed (so a literal's limit and the state it is checked against
 * are exact), and commands that read raw lines (AUTHENTICATE, IDLE's DONE) take them from here.
 * While a command runs and the client keeps sending, reading pauses past a threshold; past a
 * hard bound the client is told BYE.
 */
import { MAX_BUFFERED_BYTES, PAUSE_INPUT_BYTES } from "../limits.ts";
import { Framer, type Frame, type LiteralLimit } from "../protocol/framer.ts";

export interface InputEvents {
  /** Runs one framed command; nothing more is framed until it resolves. */
  command(frame: Frame): Promise<void>;
  /** A synchronizing literal was accepted: send "+". */
  literalAccepted(): void;
  /** A literal over the limit: answer the command. */
  literalRefused(tag: string | undefined, command: string): void;
  /** The input cannot be followed any more (or processing failed): BYE and close. */
  fatal(text: string, error?: unknown): void;
  pause(): void;
  resume(): void;
}

export class CommandInput {
  readonly #framer: Framer;
  #busy = false;
  #stopped = false;
  #lineWaiter: ((line: Buffer | undefined) => void) | undefined;

  constructor(
    limit: LiteralLimit,
    private readonly events: InputEvents,
  ) {
    this.#framer = new Framer(limit);
  }

  /** A command is running and not waiting for the client (a long FETCH, say). */
  get working(): boolean {
    return this.#busy && !this.#lineWaiter;
  }

  receive(chunk: Buffer): void {
    if (this.#stopped) return;
    this.#framer.push(chunk);
    if (this.#framer.buffered > MAX_BUFFERED_BYTES) {
      this.events.fatal("Too much data buffered");
      return;
    }
    if (this.working && this.#framer.buffered > PAUSE_INPUT_BYTES) this.events.pause();
    if (this.#lineWaiter) this.#deliverLine();
    else if (!this.#busy) this.#start();
  }

  /** The next raw line; undefined when the input stops first. */
  readLine(): Promise<Buffer | undefined> {
    if (this.#stopped) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#lineWaiter = resolve;
      this.#deliverLine();
    });
  }

  /** Everything received and not yet framed, removed (STARTTLS, COMPRESS). */
  drain(): Buffer {
    return this.#framer.drain();
  }

  /** No more input will be processed. */
  stop(): void {
    this.#stopped = true;
    const waiter = this.#lineWaiter;
    this.#lineWaiter = undefined;
    waiter?.(undefined);
  }

  #deliverLine(): void {
    const waiter = this.#lineWaiter;
    if (!waiter) return;
    const line = this.#framer.nextLine();
    if (line === undefined) return;
    this.#lineWaiter = undefined;
    if (typeof line === "string") {
      waiter(undefined);
      this.events.fatal(line);
    } else waiter(line);
  }

  #start(): void {
    this.#busy = true;
    this.#loop().catch((error: unknown) => {
      this.#busy = false;
      this.events.fatal("Internal error", error);
    });
  }

  /**
   * Processes commands until the input holds no complete one. `#busy` drops in the same tick as
   * the last `next()`, so bytes received after it start a new loop and none are left behind.
   */
  async #loop(): Promise<void> {
    while (!this.#stopped) {
      const event = this.#framer.next();
      switch (event.kind) {
        case "more":
          this.#busy = false;
          this.events.resume();
          return;
        case "continue":
          this.events.literalAccepted();
          break;
        case "reject":
          this.events.literalRefused(event.tag, event.command);
          break;
        case "fatal":
          this.events.fatal(event.text);
          break;
        case "frame":
          await this.events.command(event.frame);
      }
    }
    this.#busy = false;
  }
}
