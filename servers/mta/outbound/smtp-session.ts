/**
 * One client connection (SMTP or LMTP) on nodemailer's SMTPConnection, as promises, with the
 * answer of each transaction mapped per recipient. Only this file knows nodemailer's API.
 *
 * A transaction ends in one of:
 *   replies     each recipient's own reply (RCPT refusal, or the end-of-DATA reply; LMTP gives
 *               one per recipient, RFC 2033 §4.2);
 *   rejected    the whole transaction was refused by a reply (MAIL FROM, DATA command, or the
 *               end of DATA for every recipient), with that reply;
 *   local       we refused to go on (REQUIRETLS not possible, message over the announced SIZE);
 *   broken      the connection failed: no reply to act on (timeout, reset, protocol error).
 */
import type { Socket } from "node:net";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import type { Logger } from "../../shared/log.ts";

export type TlsMode =
  /** STARTTLS when offered, any certificate; plaintext when STARTTLS is not offered or fails. */
  | "opportunistic"
  /** STARTTLS with a certificate valid for `servername`, else fail (REQUIRETLS, RFC 8689). */
  | "verified"
  /** Never STARTTLS (the retry after a failed handshake, and Unix-socket LMTP). */
  | "none";

export interface SessionOptions {
  /** IP address to connect to (or unused when `socket` is given). */
  readonly host: string;
  readonly port: number;
  /** Name the certificate is checked against (the MX host name). */
  readonly servername?: string;
  /** Our EHLO/LHLO name. */
  readonly name: string;
  readonly lmtp?: boolean;
  readonly tls: TlsMode;
  /** CA certificates for "verified" (the system's plus extra ones). */
  readonly ca?: readonly string[];
  readonly localAddress?: string;
  readonly timeouts: { connectMs: number; greetingMs: number; idleMs: number };
  /** An already connected socket (LMTP over a Unix socket). */
  readonly socket?: Socket;
  /** Aborting closes the connection, at any stage (connect, greeting, transaction). */
  readonly signal?: AbortSignal;
  readonly log: Logger;
}

export interface Envelope {
  readonly from: string;
  readonly to: readonly string[];
  readonly size: number;
  readonly eightBit: boolean;
  /**
   * SMTPUTF8 (RFC 6531): `declared` passes the client's SMTPUTF8 on when the server offers it;
   * `required` (UTF-8 in an address or a header field) also refuses a server that does not.
   */
  readonly smtpUtf8: "no" | "declared" | "required";
  readonly requireTls: boolean;
  readonly dsn?: { ret?: "FULL" | "HDRS"; envid?: string; notify?: string; orcpt?: string };
}

export type TransactionResult =
  | {
      readonly kind: "replies";
      readonly replies: ReadonlyMap<string, string>;
      /** The server announced DSN (RFC 3461): it took NOTIFY/ORCPT over from us. */
      readonly dsn: boolean;
    }
  | { readonly kind: "rejected"; readonly reply: string; readonly stage: "mail" | "data" }
  | {
      readonly kind: "local";
      readonly reason: "requiretls" | "size" | "smtputf8";
      readonly text: string;
    }
  | { readonly kind: "broken"; readonly text: string };

export interface Session {
  /** The connection runs over TLS (STARTTLS succeeded). */
  readonly secure: boolean;
  /** The server announced 8BITMIME (RFC 6152); without it, 8-bit content must be converted. */
  readonly eightBitMime: boolean;
  send(envelope: Envelope, raw: Uint8Array): Promise<TransactionResult>;
  /** RSET between transactions; false when the connection is no longer usable. */
  reset(): Promise<boolean>;
  /** QUIT, then close. */
  quit(): void;
  close(): void;
}

/** A connection that failed before a transaction: code is nodemailer's (ETLS, ECONNECTION...). */
export class SessionOpenError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The server's reply when it refused us (a 4xx/5xx greeting or EHLO). */
    readonly reply: string | undefined,
  ) {
    super(message);
    this.name = "SessionOpenError";
  }
}

interface NodemailerError extends Error {
  code?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  recipient?: string;
  rejectedErrors?: NodemailerError[];
}

/**
 * nodemailer keeps the RCPT refusals of a transaction whose DATA then failed only here, the
 * server's EHLO keywords in _supportedExtensions, and writes every command through _sendCommand.
 */
interface ConnectionInternals {
  _envelope?: { rejectedErrors?: NodemailerError[]; accepted?: string[] } | false;
  _supportedExtensions?: string[];
  _sendCommand(str: string, logStr?: string): void;
}

export async function openSession(options: SessionOptions): Promise<Session> {
  const connection = new SMTPConnection({
    host: options.host,
    port: options.port,
    secure: false,
    name: options.name,
    lmtp: options.lmtp ?? false,
    ignoreTLS: options.tls === "none",
    requireTLS: options.tls === "verified",
    opportunisticTLS: options.tls === "opportunistic",
    tls:
      options.tls === "verified"
        ? { rejectUnauthorized: true, servername: options.servername, ca: [...(options.ca ?? [])] }
        : {
            rejectUnauthorized: false,
            ...(options.servername ? { servername: options.servername } : {}),
          },
    ...(options.servername ? { servername: options.servername } : {}),
    localAddress: options.localAddress,
    connectionTimeout: options.timeouts.connectMs,
    greetingTimeout: options.timeouts.greetingMs,
    socketTimeout: options.timeouts.idleMs,
    ...(options.socket ? { connection: options.socket } : {}),
    logger: false,
    transactionLog: false,
  });
  // Without a listener, an 'error' event would throw; every error also reaches a callback below.
  let lastError: NodemailerError | undefined;
  connection.on("error", (error: NodemailerError) => {
    lastError = error;
    options.log.trace({ err: error.message, code: error.code }, "SMTP client error");
  });
  let ended = false;
  const onEnd: (() => void)[] = [];
  const abort = () => connection.close();
  options.signal?.addEventListener("abort", abort, { once: true });
  connection.once("end", () => {
    ended = true;
    options.signal?.removeEventListener("abort", abort);
    for (const f of onEnd.splice(0)) f();
  });
  if (options.signal?.aborted) throw new SessionOpenError("EABORTED", "aborted", undefined);
  const internals = connection as unknown as ConnectionInternals;
  // nodemailer adds SMTPUTF8 to MAIL FROM only for UTF-8 addresses; RFC 6531 §3.4 has it passed
  // on whenever the client declared it (UTF-8 header fields with ASCII addresses, say).
  let declareSmtpUtf8 = false;
  const sendCommand = internals._sendCommand.bind(connection);
  internals._sendCommand = (str, logStr) =>
    sendCommand(
      declareSmtpUtf8 && /^MAIL FROM:/i.test(str) && !/ SMTPUTF8\b/i.test(str)
        ? `${str} SMTPUTF8`
        : str,
      logStr,
    );

  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodemailerError | undefined) =>
      reject(
        new SessionOpenError(
          // A failed handshake (certificate not valid, protocol error) surfaces as a socket
          // error; what tells it apart is that the STARTTLS upgrade was under way.
          connection.upgrading ? "ETLS" : (error?.code ?? "ECONNECTION"),
          error?.message ?? "connection closed",
          error?.response,
        ),
      );
    onEnd.push(() => fail(lastError));
    connection.connect((error?: NodemailerError) => (error ? fail(error) : resolve()));
  });

  return {
    get secure() {
      return connection.secure;
    },
    get eightBitMime() {
      return internals._supportedExtensions?.includes("8BITMIME") === true;
    },
    send(envelope, raw) {
      return new Promise<TransactionResult>((resolve) => {
        if (ended) {
          resolve({ kind: "broken", text: "connection closed" });
          return;
        }
        const offersSmtpUtf8 = internals._supportedExtensions?.includes("SMTPUTF8") === true;
        if (envelope.smtpUtf8 === "required" && !offersSmtpUtf8) {
          // RFC 6531 §3.2: such a message must not go to a server that does not offer SMTPUTF8.
          resolve({
            kind: "local",
            reason: "smtputf8",
            text: "the server does not offer SMTPUTF8",
          });
          return;
        }
        declareSmtpUtf8 = envelope.smtpUtf8 !== "no" && offersSmtpUtf8;
        // close() (our abort, or a dead socket) drops the send callback: answer from 'end'.
        onEnd.push(() =>
          resolve({ kind: "broken", text: describe(lastError) ?? "connection closed" }),
        );
        const buffer = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
        connection.send(
          {
            from: envelope.from === "" ? false : envelope.from,
            to: [...envelope.to],
            size: envelope.size,
            use8BitMime: envelope.eightBit,
            requireTLSExtensionEnabled: envelope.requireTls,
            ...(envelope.dsn ? { dsn: { ...envelope.dsn } } : {}),
          },
          buffer,
          (error: NodemailerError | null, info?: SMTPConnection.SentMessageInfo) => {
            resolve(error ? fromError(error, connection, envelope) : fromInfo(info, envelope));
          },
        );
      });
    },
    reset() {
      return new Promise<boolean>((resolve) => {
        if (ended) {
          resolve(false);
          return;
        }
        onEnd.push(() => resolve(false));
        connection.reset((error) => resolve(!error));
      });
    },
    quit() {
      if (!ended) connection.quit();
    },
    close() {
      connection.close();
    },
  };
}

function fromInfo(
  info: SMTPConnection.SentMessageInfo | undefined,
  envelope: Envelope,
): TransactionResult {
  const replies = new Map<string, string>();
  const response = oneLine(info?.response ?? "250 OK");
  for (const address of info?.accepted ?? []) replies.set(address, response);
  for (const error of info?.rejectedErrors ?? []) {
    const e = error as NodemailerError;
    if (e.recipient) replies.set(e.recipient, oneLine(e.response ?? "554 5.0.0 rejected"));
  }
  for (const address of envelope.to) if (!replies.has(address)) replies.set(address, response);
  const dsn = (info?.ehlo ?? []).some((line) => /^DSN\b/i.test(line));
  return { kind: "replies", replies, dsn };
}

function fromError(
  error: NodemailerError,
  connection: SMTPConnection,
  envelope: Envelope,
): TransactionResult {
  if (error.code === "EREQUIRETLS") {
    return { kind: "local", reason: "requiretls", text: error.message };
  }
  if (error.code === "EMESSAGE" && error.responseCode === undefined) {
    return { kind: "local", reason: "size", text: error.message };
  }
  if (error.code === "EENVELOPE" && error.command === "MAIL FROM" && error.response) {
    return { kind: "rejected", stage: "mail", reply: oneLine(error.response) };
  }
  if (error.code === "EENVELOPE" && error.command === "RCPT TO" && error.rejectedErrors) {
    const replies = new Map<string, string>();
    for (const e of error.rejectedErrors) {
      if (e.recipient) replies.set(e.recipient, oneLine(e.response ?? "554 5.0.0 rejected"));
    }
    const fallback = oneLine(error.response ?? "554 5.0.0 rejected");
    for (const address of envelope.to) if (!replies.has(address)) replies.set(address, fallback);
    return { kind: "replies", replies, dsn: false };
  }
  if ((error.code === "EENVELOPE" || error.code === "EMESSAGE") && error.command === "DATA") {
    const reply = oneLine(error.response ?? "554 5.0.0 message refused");
    // Recipients refused at RCPT keep their own reply; the others share the DATA reply.
    const internals = (connection as unknown as ConnectionInternals)._envelope;
    const refused = (internals ? internals.rejectedErrors : undefined) ?? [];
    if (refused.length === 0) return { kind: "rejected", stage: "data", reply };
    const replies = new Map<string, string>();
    for (const e of refused)
      if (e.recipient) replies.set(e.recipient, oneLine(e.response ?? reply));
    for (const address of envelope.to) if (!replies.has(address)) replies.set(address, reply);
    return { kind: "replies", replies, dsn: false };
  }
  return { kind: "broken", text: describe(error) ?? "connection failed" };
}

function describe(error: NodemailerError | undefined): string | undefined {
  if (!error) return undefined;
  return error.response ? oneLine(error.response) : `${error.code ?? "ERROR"}: ${error.message}`;
}

/** A multi-line reply on one line, for logs and Diagnostic-Code (RFC 3464 §2.3.6). */
export function oneLine(reply: string): string {
  return reply
    .split(/\r?\n/)
    .map((line, i) => (i === 0 ? line : line.replace(/^\d{3}[ -](?:\d\.\d{1,3}\.\d{1,3} )?/, "")))
    .join(" ")
    .trim();
}
