/**
 * Binds POP3 sessions to sockets: the 110-style listener (cleartext, STLS) and the 995-style
 * listener (implicit TLS), connection limits, the idle timer, the STLS upgrade, and a clean stop.
 * Everything protocol is in session.ts.
 */
import { once } from "node:events";
import {
  createServer as createTcpServer,
  type AddressInfo,
  type Server,
  type Socket,
} from "node:net";
import { createServer as createTlsServer, TLSSocket } from "node:tls";
import type { Directory } from "../shared/directory/types.ts";
import type { Endpoint, RunningServer } from "../shared/lifecycle.ts";
import { connectionLogger, type Logger } from "../shared/log.ts";
import { loadTlsMaterial } from "../shared/tls/tls-material.ts";
import type { MailStore } from "../store/index.ts";
import type { Pop3Config, Pop3Listener } from "./config.ts";
import { CLOSE_TIMEOUT_MS } from "./limits.ts";
import { MaildropLocks } from "./maildrop.ts";
import { formatReply, REPLIES } from "./replies.ts";
import { Pop3Session, type Transport } from "./session.ts";

export interface Pop3Dependencies {
  readonly directory: Directory;
  readonly store: MailStore;
  readonly log: Logger;
  /** Shared by every listener; tests pass one to share it between two servers. */
  readonly locks?: MaildropLocks;
}

export async function startPop3(
  config: Pop3Config,
  deps: Pop3Dependencies,
): Promise<RunningServer> {
  const { log } = deps;
  const material = loadTlsMaterial({
    ...config.tls,
    onError: (error) =>
      log.error({ err: error.message }, "TLS reload failed; keeping the old certificate"),
    onWarning: (warning) => log.warn({ err: warning.message }, "TLS certificate warning"),
  });
  const sessionDeps = {
    hostname: config.hostname,
    directory: deps.directory,
    store: deps.store,
    locks: deps.locks ?? new MaildropLocks(),
    log,
  };
  const connections = new Map<Socket, Pop3Session | undefined>();
  const perClient = new Map<string, number>();

  function serve(socket: Socket, listener: Pop3Listener): void {
    const remote = socket.remoteAddress ?? "unknown";
    socket.on("error", (error) => log.debug({ err: error.message, remote }, "socket error"));
    const count = perClient.get(remote) ?? 0;
    if (connections.size >= config.maxConnections || count >= config.maxConnectionsPerClient) {
      log.warn({ remote, open: count }, "connection refused: too many connections");
      socket.end(`${formatReply(REPLIES.tooManyConnections)}\r\n`);
      return;
    }
    perClient.set(remote, count + 1);
    connections.set(socket, undefined);

    const connLog = connectionLogger(log, remote);
    let current: Socket = socket;
    const onData = (chunk: Buffer) => session.receive(chunk);
    const onTimeout = () => session.timeout();
    const idleMs = config.idleTimeoutSeconds * 1000;
    let ended = false;
    const onClose = () => {
      if (ended) return;
      ended = true;
      session.end();
      connections.delete(socket);
      const left = (perClient.get(remote) ?? 1) - 1;
      if (left > 0) perClient.set(remote, left);
      else perClient.delete(remote);
      connLog.debug("disconnected");
    };

    const transport: Transport = {
      write(data) {
        const target = current;
        if (target.destroyed || target.writableEnded) return Promise.resolve();
        if (target.write(data)) return Promise.resolve();
        return new Promise((resolve) => {
          const done = () => {
            target.off("drain", done);
            target.off("close", done);
            resolve();
          };
          target.on("drain", done);
          target.on("close", done);
        });
      },
      startTls(reply) {
        return new Promise((resolve, reject) => {
          // Wrapped in the same tick as the reply is queued: a client can only start its
          // handshake after reading the reply, and by then the TLS socket owns the connection.
          socket.off("data", onData);
          socket.setTimeout(0);
          socket.write(reply);
          const secure = new TLSSocket(socket, {
            isServer: true,
            secureContext: material.secureContext(),
            SNICallback: material.sniCallback,
          });
          current = secure;
          secure.setTimeout(idleMs, onTimeout);
          secure.on("close", onClose);
          secure.once("secure", () => {
            secure.on("data", onData);
            resolve();
          });
          secure.on("error", (error: Error) => {
            connLog.debug({ err: error.message }, "TLS socket error");
            reject(error);
          });
        });
      },
      pause: () => current.pause(),
      resume: () => current.resume(),
      close() {
        const target = current;
        target.end();
        setTimeout(() => target.destroy(), CLOSE_TIMEOUT_MS).unref();
      },
    };

    const session = new Pop3Session(
      sessionDeps,
      {
        remoteAddress: remote,
        implicitTls: listener.tls === "implicit",
        stls: listener.tls === "starttls",
        log: connLog,
      },
      transport,
    );
    connections.set(socket, session);
    socket.setTimeout(idleMs, onTimeout);
    socket.on("data", onData);
    socket.on("close", onClose);
    connLog.debug({ port: listener.port, tls: listener.tls }, "connected");
    session.start().catch((error: unknown) => {
      connLog.error({ err: error }, "greeting failed");
      socket.destroy();
    });
  }

  const servers: Server[] = [];
  const endpoints: Endpoint[] = [];
  try {
    for (const listener of config.listen) {
      let server: Server;
      if (listener.tls === "implicit") {
        const tlsServer = createTlsServer(material.options(), (socket) => serve(socket, listener));
        material.attach(tlsServer);
        tlsServer.on("tlsClientError", (error, socket) =>
          log.debug({ err: error.message, remote: socket.remoteAddress }, "TLS handshake failed"),
        );
        server = tlsServer;
      } else {
        server = createTcpServer((socket) => serve(socket, listener));
      }
      server.on("error", (error) => log.error({ err: error }, "POP3 listener error"));
      servers.push(server);
      server.listen(listener.port, listener.host);
      await once(server, "listening");
      const { port } = server.address() as AddressInfo;
      endpoints.push({
        name: listener.tls === "implicit" ? "pop3s" : "pop3",
        host: listener.host,
        port,
        tls: listener.tls,
      });
    }
  } catch (error) {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    material.close();
    throw error;
  }

  return {
    endpoints,
    async stop() {
      const closed = Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      for (const session of connections.values()) session?.shutdown();
      const timer = setTimeout(() => {
        for (const socket of connections.keys()) socket.destroy();
      }, CLOSE_TIMEOUT_MS);
      await closed;
      clearTimeout(timer);
      material.close();
    },
  };
}
