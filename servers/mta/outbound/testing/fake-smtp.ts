/**
 * Test support: real SMTP/LMTP servers (smtp-server) on loopback that record what they receive
 * and answer as a test scripts them (4xx then 2xx, 5xx for one recipient, a refusing greeting).
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";

export interface ReceivedMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: Buffer;
  readonly secure: boolean;
  readonly rcptParams: readonly { address: string; notify?: string[]; orcpt?: string }[];
  readonly mailParams: {
    ret?: string | null;
    envid?: string | null;
    requireTls: boolean;
    /** MAIL FROM carried SMTPUTF8. */
    smtpUtf8: boolean;
    /** MAIL FROM's BODY= ("7bit" when absent). */
    body: string;
  };
}

/** A reply such as "451 4.3.0 try later"; undefined means accept. */
type Reply = string | undefined;

export interface FakeSmtpOptions {
  readonly host?: string;
  /** 0 (default): any free port. */
  readonly port?: number;
  readonly lmtp?: boolean;
  /** Offer STARTTLS with this certificate. */
  readonly tls?: { readonly key: string; readonly cert: string; readonly maxVersion?: "TLSv1" };
  /** Announce DSN (RFC 3461). */
  readonly dsn?: boolean;
  /** Announce REQUIRETLS (after STARTTLS). */
  readonly requireTls?: boolean;
  /** Announce SMTPUTF8 (default true). */
  readonly smtpUtf8?: boolean;
  /** Announce 8BITMIME (default true). */
  readonly eightBitMime?: boolean;
  /** Refuse the connection with this reply instead of greeting. */
  readonly greeting?: () => Reply;
  /** Answer a RCPT; n counts RCPTs for this address across connections, from 1. */
  readonly rcpt?: (address: string, n: number) => Reply;
  /** Answer the end of DATA (LMTP: per recipient, in RCPT order). */
  readonly data?: (message: ReceivedMessage, n: number) => Reply | Reply[];
}

export interface FakeSmtp {
  readonly host: string;
  readonly port: number;
  readonly messages: ReceivedMessage[];
  readonly connections: number;
  close(): Promise<void>;
}

export function replyError(reply: string): Error & { responseCode: number } {
  const m = /^(\d{3})\s+(.*)$/.exec(reply);
  return Object.assign(new Error(m?.[2] ?? reply), { responseCode: Number(m?.[1] ?? 451) });
}

export async function startFakeSmtp(options: FakeSmtpOptions = {}): Promise<FakeSmtp> {
  const messages: ReceivedMessage[] = [];
  const rcptCounts = new Map<string, number>();
  let dataCount = 0;
  let connections = 0;
  const serverOptions: SMTPServerOptions & { hideREQUIRETLS?: boolean; hide8BITMIME?: boolean } = {
    lmtp: options.lmtp ?? false,
    name: "fake.test",
    authOptional: true,
    disabledCommands: options.tls ? ["AUTH"] : ["AUTH", "STARTTLS"],
    // Replies carry exactly the enhanced code the test wrote (smtp-server would pick its own).
    hideENHANCEDSTATUSCODES: true,
    hideDSN: !options.dsn,
    hideREQUIRETLS: !options.requireTls,
    hideSMTPUTF8: options.smtpUtf8 === false,
    hide8BITMIME: options.eightBitMime === false,
    logger: false,
    closeTimeout: 500,
    disableReverseLookup: true,
    ...(options.tls ? { ...options.tls } : {}),
    onConnect(_session, callback) {
      connections++;
      const reply = options.greeting?.();
      callback(reply ? replyError(reply) : undefined);
    },
    onRcptTo(address, _session, callback) {
      const n = (rcptCounts.get(address.address) ?? 0) + 1;
      rcptCounts.set(address.address, n);
      const reply = options.rcpt?.(address.address, n);
      callback(reply ? replyError(reply) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const envelope = session.envelope as typeof session.envelope & {
          dsn?: { ret?: string | null; envid?: string | null };
          requireTLS?: boolean;
        };
        const message: ReceivedMessage = {
          from: envelope.mailFrom ? envelope.mailFrom.address : "",
          to: envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          secure: session.secure,
          rcptParams: envelope.rcptTo.map((r) => {
            const dsn = (r as { dsn?: { notify?: string[]; orcpt?: string } }).dsn;
            return {
              address: r.address,
              ...(dsn?.notify ? { notify: dsn.notify } : {}),
              ...(dsn?.orcpt ? { orcpt: dsn.orcpt } : {}),
            };
          }),
          mailParams: {
            ...(envelope.dsn ? { ret: envelope.dsn.ret, envid: envelope.dsn.envid } : {}),
            requireTls: envelope.requireTLS === true,
            smtpUtf8: envelope.smtpUtf8 === true,
            body: envelope.bodyType ?? "7bit",
          },
        };
        dataCount++;
        const reply = options.data?.(message, dataCount);
        const replies = Array.isArray(reply) ? reply : undefined;
        const accepted = replies ? replies.some((r) => r === undefined) : reply === undefined;
        if (accepted) messages.push(message);
        if (replies) {
          const answers = replies.map((r) => (r ? replyError(r) : "2.0.0 delivered"));
          // smtp-server answers LMTP per recipient from an array (its types say string).
          (callback as (err: null, replies: unknown[]) => void)(null, answers);
        } else if (typeof reply === "string") {
          callback(replyError(reply));
        } else {
          callback(null, "2.0.0 queued");
        }
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  server.on("error", () => undefined);
  server.listen(options.port ?? 0, options.host ?? "127.0.0.1");
  await once(server.server, "listening");
  const address = server.server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    messages,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
