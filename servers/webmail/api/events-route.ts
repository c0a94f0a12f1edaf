/**
 * New mail without a reload: an event stream (server-sent events) fed by IMAP IDLE on a
 * connection of the user's own, opened for the stream and closed with it or with the session.
 */
import type { Route } from "../http/route.ts";
import { COMMON_HEADERS } from "../http/security-headers.ts";
import { EVENT_KEEPALIVE_MS } from "../limits.ts";

export function eventsRoute(): Route {
  return {
    method: "GET",
    path: /^\/api\/events$/,
    access: "session",
    async handle({ req, res, session, log }) {
      const client = await session.resource.idling();
      await client.mailboxOpen("INBOX", { readOnly: true });
      res.writeHead(200, {
        ...COMMON_HEADERS,
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-store",
        "X-Accel-Buffering": "no",
      });
      const event = (name: string, data: unknown) =>
        res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      event("ready", { folder: "INBOX", count: client.mailbox ? client.mailbox.exists : 0 });
      client.on("exists", (e) =>
        event("mail", { folder: e.path, count: e.count, prevCount: e.prevCount }),
      );
      client.on("expunge", (e) => event("expunge", { folder: e.path }));
      client.on("flags", (e) => event("flags", { folder: e.path, uid: e.uid }));
      const keepalive = setInterval(() => res.write(": keepalive\n\n"), EVENT_KEEPALIVE_MS);
      const end = () => {
        clearInterval(keepalive);
        if (client.usable) client.logout().catch(() => client.close());
        res.end();
      };
      req.once("close", end);
      client.once("close", end);
      log.debug({ address: session.address }, "event stream open");
    },
  };
}
