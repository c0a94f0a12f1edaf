/**
 * Binds the IMAP listeners (RFC 9051 §2.1; RFC 8314 implicit TLS on 993, STARTTLS on 143) and
 * gives each connection a session core over a SocketTransport. The only module that touches
 * sockets.
 */
import { once } from "node:events";
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { connectionLogger, type Logger } from "../shared/log.ts";
import type { Endpoint, RunningServer } from "../shared/lifecycle.ts";
import { loadTlsMaterial, type TlsMaterial } from "../shared/tls/tls-material.ts";
import type { ImapConfig } from "./config.ts";
import { ConnectionLimit, type Admission, type ConnectionCounter } from "./connection-limit.ts";
import { IDLE_KEEPALIVE_MS, STOP_TIMEOUT_MS } from "./limits.ts";
import type { ImapServices, SessionSettings } from "./session/command.ts";
import { REGISTRY } from "./session/registry.ts";
import { ImapSession } from "./session/session.ts";
import { SocketTransport } from "./socket-transport.ts";

/** What the server is given: the services its sessions share. */
export interface ImapDependencies extends ImapServices {
  /** Who counts connections; default a ConnectionLimit of this process from the config. */
  readonly connectionLimit?: ConnectionCounter;
}

export async function startImap(
  config: ImapConfig,
  deps: ImapDependencies,
): Promise<RunningServer> {
  const services: ImapServices = {
    directory: deps.directory,
    store: deps.store,
    log: deps.log,
    spam: deps.spam,
  };
  const { log } = services;
  const tls: TlsMaterial | undefined =
    config.tls &&
    loadTlsMaterial({
      ...config.tls,
      onError: (error) =>
        log.error({ err: error.message }, "TLS reload failed; keeping the old one"),
    });
  const sessions = new Map<Socket, ImapSession>();
  const limit =
    deps.connectionLimit ??
    new ConnectionLimit({
      max: config.maxConnections,
      perClient: config.maxConnectionsPerClient,
      exempt: config.connectionLimitExempt,
    });
  const servers: Server[] = [];
  const endpoints: Endpoint[] = [];

  type Mode = ImapConfig["listen"][number]["tls"];
  const accept = (socket: Socket, mode: Mode): void => {
    const remote = socket.remoteAddress ?? "unknown";
    const connectionLog = connectionLogger(log, socket.remoteAddress);
    socket.on("error", (error) => connectionLog.debug({ err: error.message }, "socket error"));
    const admission = limit.admit(remote);
    if (typeof admission === "string") {
      serve(socket, mode, remote, connectionLog, admission);
      return;
    }
    // Counted by the cluster primary: nothing is read from the socket until it answers.
    admission.then(
      (answer) => serve(socket, mode, remote, connectionLog, answer),
      (error: unknown) => {
        log.error({ err: error }, "connection count failed");
        socket.destroy();
      },
    );
  };

  const serve = (
    socket: Socket,
    mode: Mode,
    remote: string,
    connectionLog: Logger,
    admission: Admission,
  ): void => {
    if (admission === "ok" && socket.destroyed) {
      limit.release(remote);
      return;
    }
    if (admission !== "ok") {
      // RFC 9051 §7.1.5: BYE may be the greeting of a server that will not serve this client;
      // UNAVAILABLE (RFC 5530) says it is temporary.
      log.warn({ remote, limit: admission }, "connection refused: too many connections");
      socket.end(
        admission === "server-full"
          ? "* BYE [UNAVAILABLE] Too many connections, try again later\r\n"
          : "* BYE [UNAVAILABLE] Too many connections from your address, try again later\r\n",
      );
      return;
    }
    const settings: SessionSettings = {
      hostname: config.hostname,
      starttls: mode === "starttls",
      insecureAuth: config.insecureAuth,
      unauthenticatedTimeoutMs: config.unauthenticatedTimeoutSeconds * 1000,
      authenticatedTimeoutMs: config.authenticatedTimeoutSeconds * 1000,
      idleKeepaliveMs: IDLE_KEEPALIVE_MS,
    };
    const transport = new SocketTransport(socket, {
      secure: mode === "implicit",
      secureContext: tls && mode === "starttls" ? () => tls.secureContext() : undefined,
      onData: (chunk) => session.receive(chunk),
      onError: (error) => connectionLog.debug({ err: error.message }, "connection error"),
    });
    const session = new ImapSession(transport, services, settings, REGISTRY, connectionLog);
    sessions.set(socket, session);
    socket.setNoDelay(true);
    socket.on("close", () => {
      limit.release(remote);
      sessions.delete(socket);
      session.ended();
      connectionLog.debug("closed");
    });
    connectionLog.debug({ tls: mode }, "connected");
    session.start();
  };

  try {
    for (const listener of config.listen) {
      let server: Server;
      if (listener.tls === "implicit" && tls) {
        const tlsServer = createTlsServer(tls.options(), (socket) => accept(socket, "implicit"));
        tls.attach(tlsServer);
        tlsServer.on("tlsClientError", (error) =>
          log.debug({ err: error.message }, "TLS handshake failed"),
        );
        server = tlsServer;
      } else {
        server = createNetServer((socket) => accept(socket, listener.tls));
      }
      server.on("error", (error) => log.error({ err: error }, "IMAP listener error"));
      servers.push(server);
      server.listen(listener.port, listener.host);
      await once(server, "listening");
      const { port } = server.address() as AddressInfo;
      endpoints.push({
        name: listener.tls === "implicit" ? "imaps" : "imap",
        host: listener.host,
        port,
        tls: listener.tls,
      });
    }
  } catch (error) {
    servers.forEach((s) => s.close());
    tls?.close();
    throw error;
  }

  return {
    endpoints,
    async stop() {
      const closed = Promise.all(
        servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      );
      for (const session of sessions.values()) session.bye("Server shutting down");
      const timer = setTimeout(() => {
        for (const socket of sessions.keys()) socket.destroy();
      }, STOP_TIMEOUT_MS);
      await closed;
      clearTimeout(timer);
      tls?.close();
    },
  };
}
