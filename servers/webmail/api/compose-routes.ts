/**
 * Sending (submission, then a copy in Sent) and saving drafts (to Drafts). The From name is the
 * user's display name from the settings; the recipients of a sent message are remembered there
 * for address autocompletion.
 */
import addressparser from "nodemailer/lib/addressparser";
import { z } from "zod";
import { ApiError } from "../errors.ts";
import { readJson, sendJson } from "../http/respond.ts";
import type { Route, SessionContext } from "../http/route.ts";
import { MAX_COMPOSE_BYTES } from "../limits.ts";
import { folderFor, inMailbox } from "../mail/mailbox.ts";
import { partContent, partsOf } from "../mail/message.ts";
import { composeMessage, submit, type Draft, type SubmissionSettings } from "../mail/submit.ts";
import type { SettingsStore } from "../settings/settings-store.ts";

const recipientsSchema = z.array(z.string().trim().min(3).max(320)).max(100).default([]);
const messageRefSchema = z.strictObject({
  folder: z.string().min(1).max(1000),
  uid: z.number().int().positive(),
});

const composeSchema = z.strictObject({
  to: recipientsSchema,
  cc: recipientsSchema,
  bcc: recipientsSchema,
  subject: z.string().max(1000).default(""),
  text: z.string().max(10_000_000).default(""),
  inReplyTo: z.string().max(1000).optional(),
  references: z.string().max(20_000).optional(),
  /** The message answered: it gets \Answered once this one is sent. */
  answering: messageRefSchema.optional(),
  /** The message forwarded: its attachments go along. */
  forwarding: messageRefSchema.optional(),
  /** The draft this replaces: removed once this is sent or saved again. */
  draft: messageRefSchema.optional(),
  attachments: z
    .array(
      z.strictObject({
        filename: z.string().min(1).max(255),
        contentType: z
          .string()
          .regex(/^[\w.+-]+\/[\w.+-]+$/)
          .default("application/octet-stream"),
        /** base64 */
        content: z.base64(),
      }),
    )
    .max(50)
    .default([]),
});
type ComposeRequest = z.output<typeof composeSchema>;

async function request(ctx: SessionContext): Promise<ComposeRequest> {
  const result = composeSchema.safeParse(await readJson(ctx.req, MAX_COMPOSE_BYTES));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ApiError("BAD_REQUEST", `${issue?.path.join(".") ?? ""}: ${issue?.message ?? ""}`);
  }
  return result.data;
}

async function draftOf(
  ctx: SessionContext,
  r: ComposeRequest,
  settings: SettingsStore,
): Promise<Draft> {
  const attachments: { filename: string; contentType: string; content: Buffer }[] =
    r.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: Buffer.from(a.content, "base64"),
    }));
  if (r.forwarding) {
    const { folder, uid } = r.forwarding;
    const client = await ctx.session.resource.client();
    const original = await inMailbox(
      client,
      folder,
      async () => {
        const m = await client.fetchOne(
          String(uid),
          { uid: true, bodyStructure: true },
          { uid: true },
        );
        if (!m) throw new ApiError("NOT_FOUND", "The forwarded message is gone.");
        const files = [];
        for (const a of partsOf(m.bodyStructure).attachments) {
          files.push({
            filename: a.filename,
            contentType: a.type,
            content: await partContent(client, uid, a.part, MAX_COMPOSE_BYTES),
          });
        }
        return files;
      },
      { readOnly: true },
    );
    attachments.push(...original);
  }
  const { displayName } = await settings.get(ctx.session.address);
  return {
    from: displayName ? { name: displayName, address: ctx.session.address } : ctx.session.address,
    to: r.to,
    cc: r.cc,
    bcc: r.bcc,
    subject: r.subject,
    text: r.text,
    inReplyTo: r.inReplyTo,
    references: r.references,
    attachments,
  };
}

async function removeDraft(ctx: SessionContext, draft: ComposeRequest["draft"]): Promise<void> {
  if (draft === undefined) return;
  const client = await ctx.session.resource.client();
  await inMailbox(client, draft.folder, () =>
    client.messageDelete(String(draft.uid), { uid: true }),
  ).catch(() => undefined);
}

/** The addresses (and names) of recipient fields as typed: `Name <a@b>, c@d`. */
function recipientsOf(fields: readonly string[]): { address: string; name: string }[] {
  return fields.flatMap((field) =>
    addressparser(field, { flatten: true }).flatMap((a) =>
      a.address ? [{ address: a.address, name: a.name }] : [],
    ),
  );
}

export function composeRoutes(submission: SubmissionSettings, settings: SettingsStore): Route[] {
  return [
    {
      method: "POST",
      path: /^\/api\/send$/,
      access: "session",
      async handle(ctx) {
        const r = await request(ctx);
        const recipients = [...r.to, ...r.cc, ...r.bcc];
        if (recipients.length === 0) throw new ApiError("BAD_REQUEST", "Add a recipient.");
        const raw = await composeMessage(await draftOf(ctx, r, settings), { keepBcc: false });
        const { address, password } = ctx.session;
        await submit(
          submission,
          { user: address, pass: password },
          { from: address, to: recipients },
          raw,
        );
        // Sent: the message went; the copy and the bookkeeping below are best effort.
        const client = await ctx.session.resource.client();
        const sent = await folderFor(client, "\\Sent");
        await client.append(sent, raw, ["\\Seen"]);
        if (r.answering) {
          const { folder, uid } = r.answering;
          await inMailbox(client, folder, () =>
            client.messageFlagsAdd(String(uid), ["\\Answered"], { uid: true }),
          ).catch(() => undefined);
        }
        await removeDraft(ctx, r.draft);
        await settings
          .recordCorrespondents(address, recipientsOf(recipients))
          .catch((error: unknown) =>
            ctx.log.warn({ err: (error as Error).message }, "correspondents not saved"),
          );
        ctx.log.info({ address, recipients: recipients.length, bytes: raw.length }, "sent");
        sendJson(ctx.res, 200, { sent: true });
      },
    },
    {
      method: "POST",
      path: /^\/api\/drafts$/,
      access: "session",
      async handle(ctx) {
        const r = await request(ctx);
        const raw = await composeMessage(await draftOf(ctx, r, settings), { keepBcc: true });
        const client = await ctx.session.resource.client();
        const drafts = await folderFor(client, "\\Drafts");
        const appended = await client.append(drafts, raw, ["\\Draft", "\\Seen"]);
        await removeDraft(ctx, r.draft);
        sendJson(ctx.res, 200, {
          draft: appended && appended.uid ? { folder: drafts, uid: appended.uid } : null,
        });
      },
    },
  ];
}
