/**
 * smtp-server with the replies we need, and nothing else changed:
 *
 * - A reply text that starts with an enhanced status code (our catalogue's, see replies.ts) is
 *   sent as it is. smtp-server would put its own code, derived from the reply code alone, in
 *   front (550 always 5.1.1), and a relay refusal must say 5.7.1 (RFC 3463 §3.8).
 * - Replies of the library whose enhanced code is wrong get the right one (RECODED).
 * - On submission, AUTH is not listed in EHLO before TLS (RFC 4954 §4 and RFC 8314 §3.3: no
 *   credentials in clear); AUTH sent anyway gets smtp-server's 538, recoded 5.7.11.
 * - On port 25 the pause before the greeting is the greeting test's (inbound/greeting-test.ts),
 *   in place of smtp-server's fixed 100 ms, so a client pays one pause or none, never two. A
 *   client that sends anything during the pause, even part of a line, gets smtp-server's
 *   `421 You talk too soon` and is closed; one that waits the whole pause has passed.
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
  /** The pause before the greeting and who passed it (port 25); without, smtp-server's 100 ms. */
  readonly greeting?: {
    pauseFor(remoteAddress: string): number;
    pass(remoteAddress: string): void;
  };
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

  override init(): void {
    const greeting = this.#policy.greeting;
    if (!greeting) {
      super.init();
      return;
    }
    const pause = greeting.pauseFor(this.remoteAddress);
    this._setListeners(() => {
      const { maxClients } = this._server.options;
      if (maxClients && this._server.connections.size > maxClients) {
        this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
        return;
      }
      if (pause === 0) {
        this.connectionReady();
        return;
      }
      let talked = false;
      const onData = () => {
        talked = true;
      };
      this._socket.on("data", onData);
      const timer = setTimeout(() => {
        this._socket.off("data", onData);
        // A whole line during the pause was already answered 421 (and the connection closed).
        if (this._closing || this._closed) return;
        if (talked) {
          this.send(421, `${this.name} You talk too soon`);
          return;
        }
        greeting.pass(this.remoteAddress);
        this.connectionReady();
      }, pause);
      timer.unref();
    });
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
