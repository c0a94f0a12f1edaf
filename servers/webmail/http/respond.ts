/** Writing responses and reading request bodies, with the common headers on every response. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, ERRORS } from "../errors.ts";
import { COMMON_HEADERS } from "./security-headers.ts";

export function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string>,
): void {
  res.writeHead(status, {
    ...COMMON_HEADERS,
    "Content-Length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
  });
}

export function sendError(res: ServerResponse, error: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(error.status, {
    ...COMMON_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    ...error.headers,
  });
  res.end(JSON.stringify({ error: { code: error.code, message: error.message } }));
}

/** Reads the whole body up to `limit` bytes; 413 beyond it. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) throw new ApiError("TOO_LARGE");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiError("TOO_LARGE");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * A JSON body. Only application/json is accepted: a cross-site HTML form cannot send it, and a
 * cross-site script must ask first (CORS preflight), which we never grant.
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") throw new ApiError("MEDIA_TYPE");
  const body = await readBody(req, limit);
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch {
    throw new ApiError("BAD_REQUEST", "The body is not JSON.");
  }
}

export { ERRORS };
