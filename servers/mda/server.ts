/**
 * The LMTP server (RFC 2033) on smtp-server in LMTP mode: binds the listeners, resolves each
 * RCPT through the directory, reads DATA, and answers once per recipient.
 */
import { once } from "node:events";
import { rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { SMTPServer, type SMTPServerDataStream } from "smtp-server";
import type { Directory, Resolution } from "../shared/directory/types.ts";
import { DirectoryUnavailableError } from "../shared/directory/types.ts";
import type { Endpoint, RunningServer } from "../shared/lifecycle.ts";
import type { Logger } from "../shared/log.ts";
import { loadTlsMaterial, type TlsMaterial } from "../shared/tls/tls-material.ts";
import type { MailStore } from "../store/index.ts";
import { isLoopback, type MdaConfig } from "./config.ts";
import { deliverToRecipient } from "./deliver.ts";
import { REPLIES, replyError } from "./replies.ts";

export interface MdaDependencies {
  readonly directory: Directory;
  readonly store: MailStore;
  readonly log: Logger;
}

/** Sessions still open this long after stop() are closed anyway. */
const CLOSE_TIMEOUT_MS = 5000;

export async function startMda(config: MdaConfig, deps: MdaDependencies): Promise<RunningServer> {
  const { directory, log } = deps;
  const tls: TlsMaterial | undefined =
    config.tls &&
    loadTlsMaterial({
      ...config.tls,
      onError: (error) =>
        log.error({ err: error.message }, "TLS reload failed; keeping the old certificate"),
    });
  // What each RCPT resolved to, per transaction (smtp-server makes a new envelope for each).
  const resolutions = new WeakMap<object, Map<string, Resolution>>();

  const options: ConstructorParameters<typeof SMTPServer>[0] = {
    lmtp: true,
    name: config.hostname,
    banner: "mailstack MDA",
    authOptional: true,
    disabledCommands: tls ? ["AUTH"] : ["AUTH", "STARTTLS"],
    hideENHANCEDSTATUSCODES: false,
    hideDSN: true,
    size: config.maxMessageBytes,
    // Without this smtp-server only announces SIZE; with it, it answers 552 for every recipient.
    ...{ rejectOversized: true },
    closeTimeout: CLOSE_TIMEOUT_MS,
    logger: transcriptLogger(log),
    ...(tls ? tls.options() : {}),

    onMailFrom(_address, session, callback) {
      const remote = session.remoteAddress;
      if (tls && !session.secure && remote && !isLoopback(remote)) {
        callback(replyError(REPLIES.tlsRequired));
        return;
      }
      callback();
    },

    onRcptTo(address, session, callback) {
      directory.resolve(address.address).then(
        (resolution) => {
          if (resolution.kind === "unknown") {
            callback(replyError(resolution.localDomain ? REPLIES.unknownUser : REPLIES.notLocal));
            return;
          }
          let map = resolutions.get(session.envelope);
          if (!map) resolutions.set(session.envelope, (map = new Map<string, Resolution>()));
          map.set(address.address, resolution);
          callback();
        },
        (error: unknown) => {
          if (!(error instanceof DirectoryUnavailableError))
            log.error({ err: error }, "RCPT lookup failed");
          callback(replyError(REPLIES.directoryDown));
        },
      );
    },

    onData(stream, session, callback) {
      readMessage(stream, config.maxMessageBytes).then(
        async (raw) => {
          if (raw === undefined) {
            callback(null); // over the size limit: smtp-server answers 552 for every recipient
            return;
          }
          const map = resolutions.get(session.envelope);
          const trace = {
            sender: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            clientName: session.hostNameAppearsAs,
            clientAddress: session.remoteAddress || undefined,
            hostname: config.hostname,
            id: randomBytes(9).toString("base64url"),
            date: new Date(),
          };
          const replies = await Promise.all(
            session.envelope.rcptTo.map(async (rcpt) => {
              const resolution = map?.get(rcpt.address);
              const reply = resolution
                ? await deliverToRecipient(
                    { config, store: deps.store, directory, log },
                    { raw, trace },
                    rcpt.address,
                    resolution,
                  )
                : REPLIES.storageFailure;
              return reply ? replyError(reply) : `Delivered ${trace.id}`;
            }),
          );
          callback(null, replies);
        },
        (error: Error) => callback(error),
      );
    },
  };

  // One smtp-server per listener (each owns one socket), all with the same hooks.
  const servers: SMTPServer[] = [];
  const endpoints: Endpoint[] = [];
  try {
    for (const listener of config.listen) {
      const server = new SMTPServer(options);
      server.on("error", (error) => log.error({ err: error }, "LMTP server error"));
      if (tls) tls.on("reload", () => server.updateSecureContext(tls.options()));
      servers.push(server);
      if (listener.kind === "unix") {
        await rm(listener.path, { force: true }); // a socket left by a killed process
        server.server.listen(listener.path);
        await once(server.server, "listening");
        log.info({ path: listener.path }, "LMTP listening on a Unix socket");
      } else {
        server.server.listen(listener.port, listener.host);
        await once(server.server, "listening");
        const { port } = server.server.address() as AddressInfo;
        endpoints.push({ name: "lmtp", host: listener.host, port, tls: tls ? "starttls" : "none" });
      }
    }
  } catch (error) {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    throw error;
  }

  return {
    endpoints,
    async stop() {
      await Promise.all(
        servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      );
      tls?.close();
    },
  };
}

/** Reads the whole message; undefined when it went over the limit (the stream is drained). */
async function readMessage(
  stream: SMTPServerDataStream,
  limit: number,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return stream.sizeExceeded || size > limit ? undefined : Buffer.concat(chunks, size);
}

/** smtp-server's own log lines (commands and replies) go to trace, never above. */
function transcriptLogger(log: Logger) {
  const trace = log.trace.bind(log);
  return {
    trace,
    debug: trace,
    info: trace,
    warn: trace,
    error: trace,
    fatal: trace,
    child: () => transcriptLogger(log),
  };
}
