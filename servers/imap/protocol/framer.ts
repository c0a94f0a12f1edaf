/**
 * Cuts the client's byte stream into commands (RFC 9051 §2.2.1): a command is a line, unless the
 * line ends with a literal announcement `{n}` (synchronizing: the server answers "+" first),
 * `{n+}` (LITERAL+, RFC 7888) or `~{n}` (literal8, RFC 3516), in which case n octets and then
 * the rest of the command follow. No I/O here: the session pushes bytes in and acts on the
 * events `next()` returns.
 *
 * Bounds: a line may be MAX_LINE_BYTES long; a literal as long as the policy allows for its
 * command. An oversized synchronizing literal is refused before the client sends it; an
 * oversized non-synchronizing one is read and thrown away (RFC 7888 §4), or the connection is
 * closed if it is absurdly large.
 */
import { MAX_DISCARD_BYTES, MAX_LINE_BYTES } from "../limits.ts";
import { ByteQueue } from "./byte-queue.ts";

export interface Frame {
  /**
   * The command's text pieces without the final CRLF; every piece but the last ends with the
   * announcement of the literal that follows it.
   */
  readonly segments: readonly Buffer[];
  /** The literals' octets, `literals[i]` following `segments[i]`. */
  readonly literals: readonly Buffer[];
}

export type FrameEvent =
  /** Nothing complete yet: wait for more bytes. */
  | { readonly kind: "more" }
  | { readonly kind: "frame"; readonly frame: Frame }
  /** A synchronizing literal was accepted: send a continuation request ("+ ..."). */
  | { readonly kind: "continue"; readonly size: number }
  /** A literal over the limit: answer the command with a tagged failure and go on. */
  | {
      readonly kind: "reject";
      readonly tag: string | undefined;
      readonly command: string;
      readonly size: number;
    }
  /** The stream cannot be followed any more: answer BYE and close. */
  | { readonly kind: "fatal"; readonly text: string };

/** The largest literal accepted for a command (its first word after the tag, uppercase). */
export type LiteralLimit = (command: string) => number;

const ANNOUNCEMENT = /(~?)\{(\d+)(\+?)\}$/;

interface Announcement {
  readonly size: number;
  readonly nonSync: boolean;
}

function announcement(line: Buffer): Announcement | undefined {
  if (line.length === 0 || line[line.length - 1] !== 0x7d) return undefined;
  const match = ANNOUNCEMENT.exec(line.subarray(Math.max(0, line.length - 32)).toString("latin1"));
  if (!match) return undefined;
  const digits = match[2] ?? "";
  return { size: digits.length > 15 ? Infinity : Number(digits), nonSync: match[3] === "+" };
}

/** Tag and command word of a command's first line, for the literal policy and replies. */
export function commandHead(line: Buffer): { tag: string | undefined; command: string } {
  const text = line.subarray(0, 200).toString("latin1");
  const [tag, command = ""] = text.split(" ", 2);
  return { tag: tag === "" ? undefined : tag, command: command.toUpperCase() };
}

export class Framer {
  readonly #queue = new ByteQueue();
  /** How much of the queue is known to hold no LF. */
  #scanned = 0;
  #segments: Buffer[] = [];
  #literals: Buffer[] = [];
  #frameBytes = 0;
  #literal: { buffer: Buffer; got: number } | undefined;
  /** Octets of a refused non-synchronizing literal still to throw away. */
  #discard = 0;
  /** After a refused literal: the rest of that command is thrown away too. */
  #discardLine = false;

  constructor(private readonly limit: LiteralLimit) {}

  /** Bytes held: queued input plus the command being assembled. */
  get buffered(): number {
    return this.#queue.length + this.#frameBytes + (this.#literal?.got ?? 0);
  }

  /** True while a command is partly received (a literal is being read). */
  get assembling(): boolean {
    return this.#segments.length > 0;
  }

  push(chunk: Buffer): void {
    this.#queue.push(chunk);
  }

  /** Everything received and not yet framed, removed (after STARTTLS or COMPRESS). */
  drain(): Buffer {
    this.#scanned = 0;
    return this.#queue.drain();
  }

  next(): FrameEvent {
    for (;;) {
      if (this.#discard > 0) {
        this.#discard -= this.#queue.drop(this.#discard);
        if (this.#discard > 0) return { kind: "more" };
      }
      if (this.#literal) {
        const { buffer } = this.#literal;
        this.#literal.got += this.#queue.copyInto(
          buffer,
          this.#literal.got,
          buffer.length - this.#literal.got,
        );
        if (this.#literal.got < buffer.length) return { kind: "more" };
        this.#literals.push(buffer);
        this.#frameBytes += buffer.length;
        this.#literal = undefined;
      }
      const line = this.#line();
      if (line === undefined) return { kind: "more" };
      if (typeof line === "string") return { kind: "fatal", text: line };
      const announced = announcement(line);
      if (this.#discardLine) {
        if (announced?.nonSync) {
          if (announced.size > MAX_DISCARD_BYTES) return { kind: "fatal", text: "Literal too big" };
          this.#discard = announced.size;
        } else this.#discardLine = false;
        continue;
      }
      this.#segments.push(line);
      this.#frameBytes += line.length;
      if (!announced) {
        const frame = { segments: this.#segments, literals: this.#literals };
        this.#reset();
        return { kind: "frame", frame };
      }
      const { tag, command } = commandHead(this.#segments[0] as Buffer);
      const max = this.limit(command);
      if (announced.size > max || this.#frameBytes + announced.size > max + MAX_LINE_BYTES) {
        this.#reset();
        if (announced.nonSync) {
          if (announced.size > MAX_DISCARD_BYTES) return { kind: "fatal", text: "Literal too big" };
          this.#discard = announced.size;
          this.#discardLine = true;
        }
        return { kind: "reject", tag, command, size: announced.size };
      }
      this.#literal = { buffer: Buffer.allocUnsafe(announced.size), got: 0 };
      if (!announced.nonSync) return { kind: "continue", size: announced.size };
    }
  }

  /**
   * One raw line (for AUTHENTICATE responses and IDLE's DONE), no literal syntax; undefined when
   * none is complete yet, a string when the line is too long.
   */
  nextLine(): Buffer | string | undefined {
    return this.#line();
  }

  #line(): Buffer | string | undefined {
    const lf = this.#queue.indexOf(0x0a, this.#scanned);
    if (lf < 0) {
      this.#scanned = this.#queue.length;
      return this.#queue.length > MAX_LINE_BYTES ? "Line too long" : undefined;
    }
    if (lf > MAX_LINE_BYTES) return "Line too long";
    this.#scanned = 0;
    const raw = this.#queue.take(lf + 1);
    const end = lf > 0 && raw[lf - 1] === 0x0d ? lf - 1 : lf;
    return raw.subarray(0, end);
  }

  #reset(): void {
    this.#segments = [];
    this.#literals = [];
    this.#frameBytes = 0;
  }
}
