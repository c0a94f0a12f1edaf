/** Reading and organising mail: folders, the message list and search, a message, actions. */
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { ApiError } from "../errors.ts";
import { escapeHtml } from "../http/assets.ts";
import { readJson, send, sendJson } from "../http/respond.ts";
import type { Route, SessionContext } from "../http/route.ts";
import { COMMON_HEADERS, messageFrameCsp } from "../http/security-headers.ts";
import { MAX_JSON_BYTES, MAX_PAGE_SIZE, PAGE_SIZE } from "../limits.ts";
import { SORT_KEYS } from "../mail/list-order.ts";
import { folderFor, inMailbox, listFolders, listPage } from "../mail/mailbox.ts";
import {
  attachmentStream,
  messageContent,
  readMessage,
  sanitizedBody,
  takeShared,
} from "../mail/message.ts";

const folderSchema = z.string().min(1).max(1000);
const uidSchema = z.coerce.number().int().positive();
const dateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

const listQuerySchema = z.object({
  folder: folderSchema.default("INBOX"),
  page: z.coerce.number().int().min(0).default(0),
  pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(PAGE_SIZE),
  sort: z.enum(SORT_KEYS).default("arrival"),
  order: z.enum(["desc", "asc"]).default("desc"),
  threads: z.enum(["0", "1"]).default("0"),
  from: z.string().max(256).optional(),
  to: z.string().max(256).optional(),
  subject: z.string().max(256).optional(),
  body: z.string().max(256).optional(),
  text: z.string().max(256).optional(),
  since: dateSchema.optional(),
  before: dateSchema.optional(),
});

const messageQuerySchema = z.object({ folder: folderSchema, uid: uidSchema });

/** Flags a user may set or clear from the webmail. */
const FLAG = z.enum(["\\Seen", "\\Flagged", "\\Answered", "$Junk", "$NotJunk"]);
const selectionSchema = {
  folder: folderSchema,
  uids: z.array(z.number().int().positive()).min(1).max(10_000),
};
const flagsSchema = z.strictObject({
  ...selectionSchema,
  add: z.array(FLAG).default([]),
  remove: z.array(FLAG).default([]),
});
const moveSchema = z.strictObject({ ...selectionSchema, to: folderSchema });
const deleteSchema = z.strictObject(selectionSchema);
const spamSchema = z.strictObject({ ...selectionSchema, spam: z.boolean() });

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ApiError("BAD_REQUEST", `${issue?.path.join(".") ?? ""}: ${issue?.message ?? ""}`);
  }
  return result.data;
}

const query = (ctx: SessionContext) => Object.fromEntries(ctx.url.searchParams);
const body = async <T extends z.ZodType>(ctx: SessionContext, schema: T) =>
  parse(schema, await readJson(ctx.req, MAX_JSON_BYTES));

/** A download never renders on our origin: attachment disposition, sandboxed, no sniffing. */
function attachmentHeaders(filename: string, type: string): Record<string, string> {
  const risky = /html|xml|svg|javascript|ecmascript/i.test(type);
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return {
    "Content-Type": risky ? "application/octet-stream" : type,
    "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`,
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, no-store",
  };
}

export function mailRoutes(): Route[] {
  const session = (
    method: "GET" | "POST",
    path: RegExp,
    handle: (ctx: SessionContext) => Promise<void>,
  ): Route => ({ method, path, access: "session", handle });

  return [
    session("GET", /^\/api\/folders$/, async (ctx) => {
      const client = await ctx.session.resource.client();
      sendJson(ctx.res, 200, { folders: await listFolders(client) });
    }),

    session("GET", /^\/api\/messages$/, async (ctx) => {
      const q = parse(listQuerySchema, query(ctx));
      const client = await ctx.session.resource.client();
      const page = await listPage(client, q.folder, {
        page: q.page,
        pageSize: q.pageSize,
        order: { sort: q.sort, descending: q.order === "desc" },
        threads: q.threads === "1",
        search: {
          from: q.from,
          to: q.to,
          subject: q.subject,
          body: q.body,
          text: q.text,
          since: q.since,
          before: q.before,
        },
      });
      sendJson(ctx.res, 200, page);
    }),

    session("GET", /^\/api\/message$/, async (ctx) => {
      const { folder, uid } = parse(messageQuerySchema, query(ctx));
      const client = await ctx.session.resource.client();
      // The body frame's request may have started the load: then take it without the lock.
      const content = await (takeShared(client, folder, uid, "view") ??
        inMailbox(client, folder, () => messageContent(client, folder, uid, "view")));
      const message = await readMessage(client, folder, content);
      sendJson(ctx.res, 200, { folder, ...message });
    }),

    // The message body as its own document, for a sandboxed frame.
    session("GET", /^\/api\/message\/body$/, async (ctx) => {
      const { folder, uid } = parse(messageQuerySchema, query(ctx));
      const remoteImages = ctx.url.searchParams.get("images") === "1";
      const client = await ctx.session.resource.client();
      // Selected read-write like every other request: switching to EXAMINE and back would
      // cost a SELECT each time (the message's own request runs beside this one).
      const who = remoteImages ? "body with images" : "body";
      const content = await (takeShared(client, folder, uid, who) ??
        inMailbox(client, folder, () => messageContent(client, folder, uid, who)));
      const { html, css, blockedImages } = sanitizedBody(content, remoteImages);
      // The message's own styles (sanitized, scoped to its element) come after ours.
      const document = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(
        String(uid),
      )}</title><style>body{font:14px/1.45 system-ui,sans-serif;margin:12px;color:#1d1d1f;word-wrap:break-word}pre{white-space:pre-wrap;font:inherit}img{max-width:100%;height:auto}</style>${
        css === "" ? "" : `<style>${css}</style>`
      }</head><body data-blocked-images="${blockedImages}"><div data-mailstack-message>${html}</div></body></html>`;
      ctx.res.writeHead(200, {
        ...COMMON_HEADERS,
        "X-Frame-Options": "SAMEORIGIN",
        "Content-Security-Policy": messageFrameCsp(remoteImages),
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "private, no-store",
        "X-Blocked-Images": String(blockedImages),
      });
      ctx.res.end(document);
    }),

    session("GET", /^\/api\/message\/part$/, async (ctx) => {
      const { folder, uid } = parse(messageQuerySchema, query(ctx));
      const part = parse(z.string().regex(/^\d+(\.\d+)*$/), ctx.url.searchParams.get("part"));
      const client = await ctx.session.resource.client();
      await inMailbox(client, folder, async () => {
        const { attachment, content } = await attachmentStream(client, uid, part);
        ctx.res.writeHead(200, {
          ...COMMON_HEADERS,
          ...attachmentHeaders(attachment.filename, attachment.type),
        });
        await pipeline(content, ctx.res);
      });
    }),

    session("POST", /^\/api\/messages\/flags$/, async (ctx) => {
      const { folder, uids, add, remove } = await body(ctx, flagsSchema);
      const client = await ctx.session.resource.client();
      await inMailbox(client, folder, async () => {
        const range = uids.join(",");
        if (add.length > 0) await client.messageFlagsAdd(range, add, { uid: true });
        if (remove.length > 0) await client.messageFlagsRemove(range, remove, { uid: true });
      });
      send(ctx.res, 204, "", {});
    }),

    session("POST", /^\/api\/messages\/move$/, async (ctx) => {
      const { folder, uids, to } = await body(ctx, moveSchema);
      const client = await ctx.session.resource.client();
      await inMailbox(client, folder, () => client.messageMove(uids.join(","), to, { uid: true }));
      send(ctx.res, 204, "", {});
    }),

    // Delete moves to Trash; in Trash itself it deletes for good.
    session("POST", /^\/api\/messages\/delete$/, async (ctx) => {
      const { folder, uids } = await body(ctx, deleteSchema);
      const client = await ctx.session.resource.client();
      const trash = await folderFor(client, "\\Trash");
      await inMailbox(client, folder, async () => {
        if (folder === trash) await client.messageDelete(uids.join(","), { uid: true });
        else await client.messageMove(uids.join(","), trash, { uid: true });
      });
      send(ctx.res, 204, "", {});
    }),

    // Spam moves to Junk, not spam back to the inbox; the IMAP server tells the spam filter.
    session("POST", /^\/api\/messages\/spam$/, async (ctx) => {
      const { folder, uids, spam } = await body(ctx, spamSchema);
      const client = await ctx.session.resource.client();
      const to = await folderFor(client, spam ? "\\Junk" : "\\Inbox");
      await inMailbox(client, folder, async () => {
        const range = uids.join(",");
        await client.messageFlagsAdd(range, [spam ? "$Junk" : "$NotJunk"], { uid: true });
        await client.messageFlagsRemove(range, [spam ? "$NotJunk" : "$Junk"], { uid: true });
        if (to !== folder) await client.messageMove(range, to, { uid: true });
      });
      send(ctx.res, 204, "", {});
    }),
  ];
}
