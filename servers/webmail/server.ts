/**
 * The only module with sockets: the HTTPS listener, and one dispatcher that finds the route,
 * checks access once (origin, session, CSRF token), runs the handler and turns errors into the
 * catalogue's JSON replies. Handlers never re-check access.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { Endpoint, RunningServer } from "../shared/lifecycle.ts";
import type { Logger } from "../shared/log.ts";
import { openDirectory } from "../shared/directory/open.ts";
import { composeRoutes } from "./api/compose-routes.ts";
import { eventsRoute } from "./api/events-route.ts";
import { mailRoutes } from "./api/mail-routes.ts";
import { sessionRoutes } from "./api/session-routes.ts";
import { settingsRoutes } from "./api/settings-routes.ts";
import type { WebmailConfig } from "./config.ts";
import { ApiError } from "./errors.ts";
import { assetRoutes, buildAssets } from "./http/assets.ts";
import { sendError } from "./http/respond.ts";
import type { RequestContext, Route } from "./http/route.ts";
import { SWEEP_INTERVAL_MS } from "./limits.ts";
import { imapConnector, type ImapAccount, type ImapConnector } from "./mail/imap-client.ts";
import { sessionIdFrom } from "./session/cookies.ts";
import { checkCsrf, checkOrigin } from "./session/request-guard.ts";
import { SessionStore } from "./session/session-store.ts";
import { LoginThrottle } from "./session/throttle.ts";
import { SettingsStore } from "./settings/settings-store.ts";
import { wellKnownRoutes } from "./well-known.ts";

export interface WebmailServices {
  readonly log: Logger;
  /** Default: log in to config.imap with config.caPath trusted. */
  readonly connectImap?: ImapConnector;
  /** The clock of sessions and throttling (tests move it). */
  readonly now?: () => number;
}

export interface RunningWebmail extends RunningServer {
  readonly sessions: SessionStore<ImapAccount>;
}

export async function startWebmail(
  config: WebmailConfig,
  services: WebmailServices,
): Promise<RunningWebmail> {
  const { log } = services;
  const ca = config.caPath === undefined ? undefined : await readFile(config.caPath, "utf8");
  const connectImap = services.connectImap ?? imapConnector({ upstream: config.imap, ca });
  const sessions = new SessionStore<ImapAccount>(config.session, services.now);
  const throttle = new LoginThrottle(config.throttle, services.now);
  const assets = await buildAssets(`Mail · ${config.hostname}`);
  const settings = new SettingsStore(config.stateDir);
  if (config.stateDir === undefined) {
    log.warn("no stateDir: users' settings are kept in memory and lost at a restart");
  }
  const directory =
    config.directory === undefined
      ? undefined
      : await openDirectory(config.directory, config.domains, log);

  const routes: Route[] = [
    ...assetRoutes(assets),
    ...wellKnownRoutes(config),
    ...sessionRoutes({
      sessions,
      throttle,
      connectImap,
      absoluteSeconds: config.session.absoluteSeconds,
    }),
    ...mailRoutes(),
    ...composeRoutes({ upstream: config.submission, ca }, settings),
    ...settingsRoutes({ settings, sessions, directory }),
    eventsRoute(),
  ];

  const server: Server = createServer(
    {
      cert: await readFile(config.tls.certPath),
      key: await readFile(config.tls.keyPath),
      minVersion: "TLSv1.2",
    },
    (req, res) => void dispatch(routes, sessions, log, req, res),
  );
  server.headersTimeout = 20_000;
  server.requestTimeout = 300_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const endpoints: Endpoint[] = [
    { name: "https", host: address.address, port: address.port, tls: "implicit" },
  ];

  const sweeper = setInterval(() => {
    throttle.sweep();
    void sessions.sweep();
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  return {
    endpoints,
    sessions,
    async stop() {
      clearInterval(sweeper);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Event streams never end by themselves.
      server.closeAllConnections();
      await sessions.endAll();
      await closed;
      await directory?.close();
    },
  };
}

async function dispatch(
  routes: readonly Route[],
  sessions: SessionStore<ImapAccount>,
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "https://webmail.invalid");
  const ip = req.socket.remoteAddress ?? "";
  try {
    const matching = routes.filter((r) => r.path.test(url.pathname));
    if (matching.length === 0) throw new ApiError("NOT_FOUND");
    const method = req.method === "HEAD" ? "GET" : (req.method ?? "");
    const route = matching.find((r) => r.method === method);
    if (route === undefined) throw new ApiError("METHOD");
    const params = { ...route.path.exec(url.pathname)?.groups };
    const ctx: RequestContext = { req, res, url, params, ip, log };
    if (route.access === "public") {
      if (route.sameOrigin) checkOrigin(req.headers);
      await route.handle(ctx);
      return;
    }
    checkOrigin(req.headers);
    const session = sessions.touch(sessionIdFrom(req.headers.cookie));
    if (session === undefined) throw new ApiError("NOT_LOGGED_IN");
    checkCsrf(method, req.headers, session.csrfToken);
    await route.handle({ ...ctx, session });
  } catch (error) {
    if (error instanceof ApiError) {
      if (!(error.status < 500)) log.warn({ code: error.code, path: url.pathname }, error.message);
      sendError(res, error);
      return;
    }
    log.error({ err: error, path: url.pathname }, "request failed");
    sendError(res, new ApiError("INTERNAL"));
  }
}
