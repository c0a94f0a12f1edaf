/**
 * The LMTP server (RFC 2033): binds the listeners, gives each connection an LmtpSession, resolves
 * each RCPT through the directory, and delivers after DATA with one reply per recipient.
 */
import { once } from "node:events";
import { rm } from "node:fs/promises";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { TLSSocket } from "node:tls";
import type { Directory, Resolution } from "../shared/directory/types.ts";
import { DirectoryUnavailableError } from "../shared/directory/types.ts";
import type { Endpoint, RunningServer } from "../shared/lifecycle.ts";
import { connectionLogger, type Logger } from "../shared/log.ts";
import { loadTlsMaterial, type TlsMaterial } from "../shared/tls/tls-material.ts";
import type { MailStore } from "../store/index.ts";
import { isLoopback, type MdaConfig } from "./config.ts";
import { deliverToRecipient } from "./deliver.ts";
import { CLOSE_TIMEOUT_MS, SOCKET_TIMEOUT_MS } from "./limits.ts";
import { LmtpSession, type SessionHooks } from "./lmtp-session.ts";
import { REPLIES } from "./replies.ts";

export interface MdaDependencies {
  readonly directory: Directory;
  readonly store: MailStore;
  readonly log: Logger;
}

export interface MdaOptions {
  /**
   * Remove a socket file left at a Unix listener's path before listening (default true). Not in
   * a cluster worker: there the primary owns the socket and a sibling may be listening on it.
   */
  readonly removeStaleSockets?: boolean;
}

const BANNER = "mailstack MDA";

export async function startMda(
  config: MdaConfig,
  deps: MdaDependencies,
  options: MdaOptions = {},
): Promise<RunningServer> {
  const { directory, log } = deps;
  const tls: TlsMaterial | undefined =
    config.tls &&
    loadTlsMaterial({
      ...config.tls,
      onError: (error) =>
        log.error({ err: error.message }, "TLS reload failed; keeping the old certificate"),
    });
  const sessions = new Set<{ session: LmtpSession<Resolution>; socket: Socket }>();

  const hooks = (connectionLog: Logger, clientAddress: string | undefined) =>
    ({
      async rcpt(address) {
        try {
          const resolution = await directory.resolve(address);
          if (resolution.kind !== "unknown") return { ok: true, value: resolution };
          return {
            ok: false,
            reply: resolution.localDomain ? REPLIES.unknownUser : REPLIES.notLocal,
          };
        } catch (error) {
          if (!(error instanceof DirectoryUnavailableError)) {
            connectionLog.error({ err: error }, "RCPT lookup failed");
          }
          return { ok: false, reply: REPLIES.directoryDown };
        }
      },
      async deliver(raw, transaction) {
        const trace = {
          sender: transaction.from,
          clientName: transaction.clientName,
          clientAddress,
          hostname: config.hostname,
          id: randomBytes(9).toString("base64url"),
          date: new Date(),
        };
        const context = { config, store: deps.store, directory, log: connectionLog };
        return Promise.all(
          transaction.recipients.map(async ({ address, value }) => {
            const failure = await deliverToRecipient(context, { raw, trace }, address, value);
            return failure ?? { code: 250, enhanced: "2.0.0", text: `Delivered ${trace.id}` };
          }),
        );
      },
      error(error) {
        connectionLog.error({ err: error }, "LMTP session error");
      },
    }) satisfies SessionHooks<Resolution>;

  const onConnection = (socket: Socket, unix: boolean): void => {
    const address = unix ? undefined : socket.remoteAddress;
    const remote = address?.startsWith("::ffff:") ? address.slice(7) : address;
    const connectionLog = connectionLogger(log, remote ?? "unix");
    const tracing = connectionLog.isLevelEnabled("trace");
    let current: Socket = socket;
    const onData = (chunk: Buffer) => session.receive(chunk);
    const session: LmtpSession<Resolution> = new LmtpSession(
      {
        write: (text) => {
          if (tracing) connectionLog.trace({ reply: text.trimEnd() }, "S:");
          current.write(text);
        },
        end: () => current.end(),
        pause: () => current.pause(),
        resume: () => current.resume(),
        ...(tls && !unix
          ? {
              startTls: () =>
                new Promise<void>((resolve, reject) => {
                  // Nothing more is read in the clear (the session dropped what came after).
                  socket.removeListener("data", onData);
                  const secure = new TLSSocket(socket, {
                    isServer: true,
                    secureContext: tls.secureContext(),
                  });
                  secure.once("secure", () => {
                    current = secure;
                    secure.on("data", onData);
                    resolve();
                  });
                  secure.once("error", (error: Error) => {
                    connectionLog.info({ err: error.message }, "TLS handshake failed");
                    socket.destroy();
                    reject(error);
                  });
                }),
            }
          : {}),
      },
      hooks(connectionLog, remote),
      {
        hostname: config.hostname,
        banner: BANNER,
        maxMessageBytes: config.maxMessageBytes,
        requireTls: tls !== undefined && remote !== undefined && !isLoopback(remote),
      },
      tracing ? (line) => connectionLog.trace({ command: line }, "C:") : undefined,
    );
    const entry = { session, socket };
    sessions.add(entry);
    // Replies go out as soon as they are written (a pipelining client waits for them).
    socket.setNoDelay(true);
    socket.setTimeout(SOCKET_TIMEOUT_MS, () => session.timeout());
    socket.on("data", onData);
    socket.on("error", (error) => connectionLog.debug({ err: error.message }, "socket error"));
    socket.on("close", () => {
      sessions.delete(entry);
      session.closed();
    });
    session.greet();
  };

  const servers: Server[] = [];
  const endpoints: Endpoint[] = [];
  const closeAll = () =>
    Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  try {
    for (const listener of config.listen) {
      const unix = listener.kind === "unix";
      const server = createServer((socket) => onConnection(socket, unix));
      server.on("error", (error) => log.error({ err: error }, "LMTP server error"));
      servers.push(server);
      if (listener.kind === "unix") {
        // A socket left by a killed process.
        if (options.removeStaleSockets ?? true) await rm(listener.path, { force: true });
        server.listen(listener.path);
        await once(server, "listening");
        log.info({ path: listener.path }, "LMTP listening on a Unix socket");
      } else {
        server.listen(listener.port, listener.host);
        await once(server, "listening");
        const { port } = server.address() as AddressInfo;
        endpoints.push({ name: "lmtp", host: listener.host, port, tls: tls ? "starttls" : "none" });
      }
    }
  } catch (error) {
    await closeAll();
    tls?.close();
    throw error;
  }

  return {
    endpoints,
    async stop() {
      const closed = closeAll(); // stops accepting; resolves when every connection is gone
      for (const { session } of sessions) session.stop();
      const timer = setTimeout(() => {
        for (const { socket } of sessions) socket.destroy();
      }, CLOSE_TIMEOUT_MS);
      await closed;
      clearTimeout(timer);
      tls?.close();
    },
  };
}
