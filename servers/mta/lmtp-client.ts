/**
 * Hands messages to the MDA over LMTP (RFC 2033) with nodemailer's SMTP client, on TCP or a Unix
 * socket, and returns the MDA's reply for each recipient (RFC 2033 §4.2: one reply per recipient
 * after DATA, and the RCPT replies for those it refused earlier).
 *
 * Connections are kept open between messages (a new one costs the MDA's greeting, 100 ms in
 * smtp-server), at most MAX_IDLE of them, each closed after IDLE_MS unused or as soon as the MDA
 * closes it.
 *
 * A failure before any per-recipient reply (no connection, no greeting, MAIL refused, a timeout)
 * throws LmtpUnavailableError: nothing was delivered to anyone, the caller answers 451.
 */
import { connect as netConnect, type Socket } from "node:net";
import SMTPConnection, {
  type SentMessageInfo,
  type SMTPError,
} from "nodemailer/lib/smtp-connection";
import type { LmtpTarget } from "./config.ts";
import { LMTP_TIMEOUT_MS } from "./limits.ts";

/** Idle connections kept for the next messages. */
const MAX_IDLE = 16;
/** An idle connection is closed after this; smtp-server's own idle timeout is 60 s. */
const IDLE_MS = 20_000;

export interface LmtpMessage {
  /** The envelope sender; "" is the null sender. */
  readonly from: string;
  readonly recipients: readonly string[];
  readonly raw: Buffer;
  readonly eightBit: boolean;
}

export interface RecipientReply {
  readonly address: string;
  readonly code: number;
  /** The whole reply line, e.g. `552 5.2.2 Mailbox full`. */
  readonly response: string;
}

export class LmtpUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LmtpUnavailableError";
  }
}

export interface LmtpClientOptions {
  readonly target: LmtpTarget;
  /** Our host name, sent with LHLO. */
  readonly clientName: string;
  readonly timeoutMs?: number;
}

interface Idle {
  readonly connection: SMTPConnection;
  readonly timer: NodeJS.Timeout;
}

export class LmtpClient {
  readonly #options: LmtpClientOptions;
  readonly #idle: Idle[] = [];
  #closed = false;

  constructor(options: LmtpClientOptions) {
    this.#options = options;
  }

  async deliver(message: LmtpMessage): Promise<RecipientReply[]> {
    const idle = this.#takeIdle();
    if (idle) {
      try {
        return await this.#send(idle, message);
      } catch (error) {
        // The MDA may have closed an idle connection a moment ago (a restart): one more try on a
        // new one. Should the first one have delivered after all, the MDA drops the repeat.
        if (!(error instanceof LmtpUnavailableError)) throw error;
      }
    }
    return this.#send(await this.#open(), message);
  }

  async #send(connection: SMTPConnection, message: LmtpMessage): Promise<RecipientReply[]> {
    let info: SentMessageInfo;
    try {
      info = await new Promise<SentMessageInfo>((resolve, reject) =>
        connection.send(
          { from: message.from, to: [...message.recipients], use8BitMime: message.eightBit },
          message.raw,
          (error, result) => (error ? reject(error) : resolve(result)),
        ),
      );
    } catch (error) {
      const rejected = (error as SMTPError).rejectedErrors;
      // Every recipient refused at RCPT: those are per-recipient replies, not an outage.
      if (rejected && rejected.length > 0) {
        connection.reset((resetError) =>
          resetError ? connection.close() : this.#release(connection),
        );
        return collect(message.recipients, [], rejected);
      }
      connection.close();
      throw new LmtpUnavailableError(`LMTP delivery failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.#release(connection);
    return collect(message.recipients, info.accepted, info.rejectedErrors ?? []);
  }

  close(): void {
    this.#closed = true;
    for (const idle of this.#idle.splice(0)) {
      clearTimeout(idle.timer);
      idle.connection.quit();
    }
  }

  #takeIdle(): SMTPConnection | undefined {
    const idle = this.#idle.pop();
    if (idle) clearTimeout(idle.timer);
    return idle?.connection;
  }

  #release(connection: SMTPConnection): void {
    if (this.#closed || this.#idle.length >= MAX_IDLE) {
      connection.quit();
      return;
    }
    const timer = setTimeout(() => this.#drop(connection, true), IDLE_MS);
    timer.unref();
    this.#idle.push({ connection, timer });
  }

  /** Forgets an idle connection (the MDA closed it, or it idled too long). */
  #drop(connection: SMTPConnection, quit: boolean): void {
    const index = this.#idle.findIndex((i) => i.connection === connection);
    if (index === -1) return;
    const [idle] = this.#idle.splice(index, 1);
    clearTimeout(idle?.timer);
    if (quit) connection.quit();
  }

  async #open(): Promise<SMTPConnection> {
    const { target, clientName, timeoutMs } = this.#options;
    const socket = target.kind === "unix" ? await openUnix(target.path) : undefined;
    const connection = new SMTPConnection({
      lmtp: true,
      name: clientName,
      ...(target.kind === "tcp"
        ? { host: target.host, port: target.port }
        : { connection: socket }),
      ignoreTLS: true, // the MDA is ours, on loopback or a local socket
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: timeoutMs ?? LMTP_TIMEOUT_MS,
      logger: false,
    });
    connection.on("error", () => undefined); // reported through the callbacks
    connection.on("end", () => this.#drop(connection, false));
    try {
      await new Promise<void>((resolve, reject) =>
        connection.connect((error) => (error ? reject(error) : resolve())),
      );
    } catch (error) {
      connection.close();
      throw new LmtpUnavailableError(`cannot reach the MDA: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return connection;
  }
}

function collect(
  recipients: readonly string[],
  accepted: readonly string[],
  rejected: readonly SMTPError[],
): RecipientReply[] {
  const acceptedSet = new Set(accepted.map((a) => a.toLowerCase()));
  const byRecipient = new Map(rejected.map((e) => [e.recipient?.toLowerCase(), e]));
  return recipients.map((address) => {
    const error = byRecipient.get(address.toLowerCase());
    if (error) {
      const response = error.response ?? "451 4.3.0 no reply";
      return { address, code: error.responseCode ?? 451, response };
    }
    if (acceptedSet.has(address.toLowerCase())) return { address, code: 250, response: "250" };
    // Neither accepted nor refused: the MDA never answered for it, so it is not delivered.
    return { address, code: 451, response: "451 4.3.0 no reply for this recipient" };
  });
}

function openUnix(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(path);
    socket.once("connect", () => {
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (error) =>
      reject(new LmtpUnavailableError(`cannot reach the MDA at ${path}`, { cause: error })),
    );
  });
}
