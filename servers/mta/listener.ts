/**
 * smtp-server with the replies we need, and nothing else changed:
 *
 * - A reply text that starts with an enhanced status code (our catalogue's, see replies.ts) is
 *   sent as it is. smtp-server would put its own code, derived from the reply code alone, in
 *   front (550 always 5.1.1), and a relay refusal must say 5.7.1 (RFC 3463 §3.8).
 * - Replies of the library whose enhanced code is wrong get the right one (RECODED).
 * - On submission, AUTH is not listed in EHLO before TLS (RFC 4954 §4 and RFC 8314 §3.3: no
 *   credentials in clear); AUTH sent anyway gets smtp-server's 538, recoded 5.7.11.
 *
 * The library creates its connection objects itself, so `connect` is the one place to hand it
 * ours; it does exactly what SMTPServer.connect does with our class.
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { SMTPConnection, type SMTPConnectionOptions } from "smtp-server/lib/smtp-connection.js";
import { ENHANCED_CODE_PREFIX } from "./replies.ts";

/** Library replies given a better enhanced code than its default table's. */
const RECODED: Readonly<Record<number, string>> = {
  /** RFC 4954 §6: 538 5.7.11 Encryption required for requested authentication mechanism. */
  538: "5.7.11",
};

export interface ListenerPolicy {
  /** Leave AUTH out of the EHLO reply until the session is under TLS (submission on 587). */
  readonly hideAuthBeforeTls: boolean;
}

class ReplyConnection extends SMTPConnection {
  readonly #policy: ListenerPolicy;

  constructor(
    server: SMTPServer,
    socket: Socket | TLSSocket,
    options: SMTPConnectionOptions | null | undefined,
    policy: ListenerPolicy,
  ) {
    super(server, socket, options);
    this.#policy = policy;
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    if (typeof data === "string" && context !== false) {
      const own = ENHANCED_CODE_PREFIX.exec(data);
      if (own && own[1] === String(code)[0]) {
        super.send(code, data, false);
        return;
      }
      const recoded = RECODED[code];
      if (recoded !== undefined) {
        super.send(code, `${recoded} ${data}`, false);
        return;
      }
    }
    if (Array.isArray(data) && code === 250 && this.#policy.hideAuthBeforeTls && !this.secure) {
      super.send(
        code,
        data.filter((line) => !/^AUTH\b/i.test(line)),
        context,
      );
      return;
    }
    super.send(code, data, context);
  }
}

export class MtaSmtpServer extends SMTPServer {
  readonly #policy: ListenerPolicy;

  constructor(options: SMTPServerOptions, policy: ListenerPolicy) {
    super(options);
    this.#policy = policy;
  }

  override connect(socket: Socket | TLSSocket, socketOptions?: SMTPConnectionOptions | null) {
    const connection = new ReplyConnection(this, socket, socketOptions, this.#policy);
    this.connections.add(connection);
    connection.on("error", (error: Error) => this._onError(error));
    connection.on("connect", (data: Parameters<SMTPServer["_onClientConnect"]>[0]) =>
      this._onClientConnect(data),
    );
    connection.init();
  }
}
