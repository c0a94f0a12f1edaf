/**
 * The HTTP side (node:http): routes, bounded bodies, the two request forms of /check (api.ts),
 * and error answers from the catalogue (errors.ts). Everything else is the engine's.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { z } from "zod";
import type { Endpoint } from "../shared/lifecycle.ts";
import { connectionId, type Logger } from "../shared/log.ts";
import type { CheckFacts } from "./analyzers/context.ts";
import {
  checkRequestSchema,
  compactResponse,
  FACTS_HEADER,
  learnRequestSchema,
  mtaFactsSchema,
  type CheckResponse,
} from "./api.ts";
import type { SpamConfig } from "./config.ts";
import type { SpamEngine } from "./engine.ts";
import { ERRORS, HttpError } from "./errors.ts";

/** Room for the JSON around a base64 message. */
const JSON_OVERHEAD_BYTES = 64 * 1024;
/** Open requests still running this long after stop() are cut. */
const CLOSE_TIMEOUT_MS = 5000;

export interface SpamHttpServer {
  readonly endpoints: readonly Endpoint[];
  stop(): Promise<void>;
}

export async function startHttpServer(
  config: SpamConfig,
  engine: SpamEngine,
  log: Logger,
): Promise<SpamHttpServer> {
  const maxRaw = config.maxMessageBytes;
  const maxJson = Math.ceil((maxRaw * 4) / 3) + JSON_OVERHEAD_BYTES;

  const routes: Record<
    string,
    Partial<Record<string, (req: IncomingMessage) => Promise<unknown>>>
  > = {
    "/check": {
      POST: async (req) => {
        const type = mediaType(req);
        if (type === "message/rfc822") {
          const raw = await readBody(req, maxRaw);
          const response = await runCheck(engine, factsFromHeader(req, raw));
          return compactResponse(response);
        }
        if (type !== "application/json")
          throw new HttpError(ERRORS.unsupportedType, type || "none");
        const body = parse(checkRequestSchema, parseJson(await readBody(req, maxJson)));
        if (body.raw.byteLength > maxRaw) throw new HttpError(ERRORS.tooLarge);
        return runCheck(engine, {
          raw: body.raw,
          mailFrom: body.mailFrom,
          rcptTo: body.rcptTo,
          clientAddress: body.clientAddress,
          helo: body.helo,
          tls: body.tls ?? null,
          authenticatedUser: body.user ?? null,
        });
      },
    },
    "/learn": {
      POST: async (req) => {
        if (mediaType(req) !== "application/json")
          throw new HttpError(ERRORS.unsupportedType, mediaType(req) || "none");
        const body = parse(learnRequestSchema, parseJson(await readBody(req, maxJson)));
        if (body.raw.byteLength > maxRaw) throw new HttpError(ERRORS.tooLarge);
        const outcome = engine.learn({ user: body.user, verdict: body.verdict, raw: body.raw });
        log.info({ learner: body.user, verdict: body.verdict, outcome }, "learned");
        return outcome;
      },
    },
    "/health": { GET: () => Promise.resolve({ status: "ok" }) },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rlog = log.child({ rid: connectionId() });
    const started = performance.now();
    try {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      const route = routes[path];
      if (!route) throw new HttpError(ERRORS.notFound, path);
      const handler = route[req.method ?? ""];
      if (!handler) {
        res.setHeader("allow", Object.keys(route).join(", "));
        throw new HttpError(ERRORS.methodNotAllowed, req.method);
      }
      const result = await handler(req);
      send(res, 200, result);
      rlog.debug({ path, ms: Math.round(performance.now() - started) }, "answered");
    } catch (error) {
      const httpError = error instanceof HttpError ? error : new HttpError(ERRORS.internal);
      if (httpError.clientFault) rlog.debug({ err: httpError.message }, "refused");
      else rlog.error({ err: error }, "request failed");
      // A body we did not read keeps the connection busy: close it after answering.
      if (!req.complete) res.setHeader("connection", "close");
      send(res, httpError.entry.status, httpError.body());
    }
  };

  const server = createServer({ headersTimeout: 30_000, requestTimeout: 120_000 }, (req, res) => {
    handle(req, res).catch((error: unknown) => log.error({ err: error }, "unhandled"));
  });
  server.listen(config.listen.port, config.listen.host);
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  return {
    endpoints: [{ name: "spam-http", host: config.listen.host, port: address.port, tls: "none" }],
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), CLOSE_TIMEOUT_MS);
      await closed;
      clearTimeout(timer);
    },
  };
}

async function runCheck(engine: SpamEngine, facts: CheckFacts): Promise<CheckResponse> {
  const result = await engine.check(facts);
  return {
    action: result.action,
    score: result.score,
    required: result.required,
    symbols: result.symbols,
    headers: result.headers,
  };
}

function factsFromHeader(req: IncomingMessage, raw: Buffer): CheckFacts {
  const header = req.headers[FACTS_HEADER];
  if (typeof header !== "string")
    throw new HttpError(ERRORS.invalidRequest, `the ${FACTS_HEADER} header is missing`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
  } catch {
    throw new HttpError(ERRORS.invalidRequest, `the ${FACTS_HEADER} header is not base64url JSON`);
  }
  const facts = parse(mtaFactsSchema, json);
  return {
    raw,
    mailFrom: facts.envelope.from,
    rcptTo: facts.envelope.to,
    clientAddress: facts.client.address,
    helo: facts.client.helo,
    tls: facts.client.tls ?? null,
    authenticatedUser: facts.user ?? null,
  };
}

function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > limit) throw new HttpError(ERRORS.tooLarge, `${declared} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) throw new HttpError(ERRORS.tooLarge);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new HttpError(ERRORS.badJson, (error as Error).message);
  }
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new HttpError(
    ERRORS.invalidRequest,
    `${issue?.path.join(".") || "(body)"}: ${issue?.message ?? "?"}`,
  );
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
