/**
 * The MTA's listeners on smtp-server: port 25 (MX: no AUTH, STARTTLS offered, our domains only)
 * and submission on 587 (STARTTLS, then AUTH) and 465 (implicit TLS, RFC 8314). Each listener is
 * one smtp-server with its hooks; the hooks hold the policy, this file only binds sockets.
 *
 * Extensions, as smtp-server offers them: PIPELINING, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES,
 * SIZE (enforced: rejectOversized), STARTTLS; on submission also DSN (carried into the queue)
 * and REQUIRETLS. Port 25 does not offer DSN: mail there is delivered at once, not relayed, and
 * a client whose recipient asked NOTIFY=SUCCESS sends the "relayed" notice itself (RFC 3461
 * §5.2.2). CHUNKING (BDAT, RFC 3030) is not offered: smtp-server has no BDAT.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import type { SMTPServerOptions } from "smtp-server";
import type { Directory } from "../shared/directory/types.ts";
import type { Endpoint, RunningServer } from "../shared/lifecycle.ts";
import { transcriptLine, type Logger } from "../shared/log.ts";
import type { TlsMaterial } from "../shared/tls/tls-material.ts";
import { ClientLimits } from "./client-limits.ts";
import type { MtaConfig } from "./config.ts";
import { releaseConnection } from "./connection-limit.ts";
import type { MtaContext } from "./context.ts";
import type { DkimKeyring } from "./dkim/keys.ts";
import { inboundConnect } from "./inbound/connect.ts";
import { inboundData } from "./inbound/data.ts";
import { GreetingTest } from "./inbound/greeting-test.ts";
import { inboundMailFrom } from "./inbound/mail-from.ts";
import { inboundRcptTo } from "./inbound/rcpt-to.ts";
import {
  CLOSE_TIMEOUT_MS,
  INBOUND_COMMAND_LINE_BYTES,
  SOCKET_TIMEOUT_MS,
  SUBMISSION_COMMAND_LINE_BYTES,
} from "./limits.ts";
import { MtaSmtpServer } from "./listener.ts";
import { LmtpClient } from "./lmtp-client.ts";
import type { Queue } from "./queue/types.ts";
import { REPLIES, replyLine } from "./replies.ts";
import { SessionStates } from "./session.ts";
import { SpamClient } from "./spam-client.ts";
import type { SrsKeys } from "./srs.ts";
import { submissionAuth } from "./submission/auth.ts";
import { submissionConnect } from "./submission/connect.ts";
import { submissionData } from "./submission/data.ts";
import { submissionMailFrom } from "./submission/mail-from.ts";
import { submissionRcptTo } from "./submission/rcpt-to.ts";

export interface MtaDependencies {
  readonly directory: Directory;
  readonly queue: Queue;
  readonly keyring: DkimKeyring;
  readonly tls: TlsMaterial;
  readonly log: Logger;
  /** SRS keys, when config.srs is set. */
  readonly srs?: SrsKeys;
}

type ListenerName = "smtp" | "submission" | "submissions";

export async function startMta(config: MtaConfig, deps: MtaDependencies): Promise<RunningServer> {
  const { log, tls } = deps;
  const context: MtaContext = {
    config,
    directory: deps.directory,
    queue: deps.queue,
    keyring: deps.keyring,
    lmtp: new LmtpClient({ target: config.lmtp, clientName: config.hostname }),
    spam: config.spam && new SpamClient(config.spam),
    limits: new ClientLimits(config.limits),
    srs: deps.srs,
    sessions: new SessionStates(log),
    log,
  };
  const common: SMTPServerOptions = {
    name: config.hostname,
    banner: "mailstack MTA",
    size: config.limits.maxMessageBytes,
    rejectOversized: true,
    hideENHANCEDSTATUSCODES: false,
    maxClients: config.limits.maxConnections,
    maxRecipients: config.limits.maxRecipients,
    socketTimeout: SOCKET_TIMEOUT_MS,
    closeTimeout: CLOSE_TIMEOUT_MS,
    // Reverse DNS would need an injected resolver and proves nothing; Received shows the address.
    disableReverseLookup: true,
    logger: transcriptLogger(log),
    onClose: (session) => releaseConnection(context, session),
    ...tls.options(),
  };
  const submission = (listener: "submission" | "submissions"): SMTPServerOptions => ({
    ...common,
    secure: listener === "submissions",
    authMethods: ["PLAIN", "LOGIN"],
    allowInsecureAuth: false,
    authRequiredMessage: replyLine(REPLIES.authRequired),
    hideDSN: false,
    hideREQUIRETLS: false,
    maxCommandLength: SUBMISSION_COMMAND_LINE_BYTES,
    onConnect: submissionConnect(context),
    onAuth: submissionAuth(context),
    onMailFrom: submissionMailFrom(context),
    onRcptTo: submissionRcptTo(context),
    onData: submissionData(context, listener),
  });
  const options: Record<ListenerName, SMTPServerOptions> = {
    smtp: {
      ...common,
      authOptional: true,
      disabledCommands: ["AUTH"],
      hideDSN: true,
      maxCommandLength: INBOUND_COMMAND_LINE_BYTES,
      onConnect: inboundConnect(context),
      onMailFrom: inboundMailFrom(context),
      onRcptTo: inboundRcptTo(context),
      onData: inboundData(context),
    },
    submission: submission("submission"),
    submissions: submission("submissions"),
  };

  const greetingTest = new GreetingTest({
    pauseMs: config.limits.greetingDelayMs,
    passTtlMs: config.limits.greetingPassSeconds * 1000,
    trustedNetworks: config.limits.greetingTrustedNetworks,
  });
  const servers: MtaSmtpServer[] = [];
  const endpoints: Endpoint[] = [];
  const unsubscribe: (() => void)[] = [];
  try {
    for (const name of ["smtp", "submission", "submissions"] as const) {
      const listener = config.listeners[name];
      if (!listener) continue;
      const server = new MtaSmtpServer(options[name], {
        hideAuthBeforeTls: name === "submission",
        ...(name === "smtp" ? { greeting: greetingTest } : {}),
      });
      server.on("error", (error) => log.debug({ err: error, listener: name }, "connection error"));
      unsubscribe.push(tls.on("reload", () => server.updateSecureContext(tls.options())));
      servers.push(server);
      server.listen(listener.port, listener.host);
      await once(server.server, "listening");
      const { port } = server.server.address() as AddressInfo;
      endpoints.push({
        name,
        host: listener.host,
        port,
        tls: name === "submissions" ? "implicit" : "starttls",
      });
    }
  } catch (error) {
    await closeAll(servers);
    unsubscribe.forEach((u) => u());
    context.lmtp.close();
    throw error;
  }

  return {
    endpoints,
    async stop() {
      await closeAll(servers);
      unsubscribe.forEach((u) => u());
      context.lmtp.close();
    },
  };
}

function closeAll(servers: readonly MtaSmtpServer[]): Promise<void[]> {
  return Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
}

/**
 * smtp-server's own log lines (commands and replies) go to trace only, every string through
 * transcriptLine, which masks credentials whatever smtp-server already hid.
 */
function transcriptLogger(log: Logger) {
  const trace = (...args: unknown[]) => {
    if (!log.isLevelEnabled("trace")) return;
    Reflect.apply(
      log.trace,
      log,
      args.map((a) => (typeof a === "string" ? transcriptLine(a) : a)),
    );
  };
  const logger = {
    trace,
    debug: trace,
    info: trace,
    warn: trace,
    error: trace,
    fatal: trace,
    child: () => logger,
  };
  return logger;
}
