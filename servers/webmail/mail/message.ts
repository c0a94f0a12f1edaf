/**
 * One message for reading: its envelope, the parts to show (text, HTML), the attachments, the
 * inline images, and the Authentication-Results our MTA recorded. Parts come decoded (and text in
 * UTF-8) from imapflow's download; nothing reads the raw message into memory whole.
 */
import type { ImapFlow, MessageStructureObject } from "imapflow";
import type { Readable } from "node:stream";
import { ApiError } from "../errors.ts";
import { MAX_INLINE_IMAGE_BYTES, MAX_SHOWN_PART_BYTES } from "../limits.ts";
import { addresses, type Address } from "./mailbox.ts";
import { sanitizeMessageHtml } from "./sanitize.ts";

export interface Attachment {
  readonly part: string;
  readonly filename: string;
  readonly type: string;
  readonly size: number;
}

export interface MessageParts {
  readonly text: string | undefined;
  readonly html: string | undefined;
  readonly attachments: Attachment[];
  /** Inline images by Content-ID (without <>). */
  readonly inline: Map<string, Attachment>;
}

export interface MessageView {
  readonly uid: number;
  readonly subject: string;
  readonly from: Address[];
  readonly to: Address[];
  readonly cc: Address[];
  readonly replyTo: Address[];
  readonly date: string | null;
  readonly messageId: string | null;
  readonly inReplyTo: string | null;
  readonly references: string | null;
  readonly flags: string[];
  readonly text: string | null;
  readonly hasHtml: boolean;
  /** Remote images the HTML body holds back until the user allows them. */
  readonly blockedImages: number;
  readonly attachments: Attachment[];
  /** Each Authentication-Results header (RFC 8601), unfolded, newest first. */
  readonly authenticationResults: string[];
}

/** Walks the MIME tree: the first text/plain and text/html shown, everything else listed. */
export function partsOf(root: MessageStructureObject | undefined): MessageParts {
  const out = {
    text: undefined as string | undefined,
    html: undefined as string | undefined,
    attachments: [] as Attachment[],
    inline: new Map<string, Attachment>(),
  };
  const visit = (node: MessageStructureObject): void => {
    const type = node.type.toLowerCase();
    if (node.childNodes && type.startsWith("multipart/")) {
      for (const child of node.childNodes) visit(child);
      return;
    }
    const part = node.part ?? "1";
    const isAttachment = node.disposition?.toLowerCase() === "attachment";
    const filename =
      node.dispositionParameters?.filename ?? node.parameters?.name ?? `part-${part}`;
    const entry = { part, filename, type, size: node.size ?? 0 };
    if (!isAttachment && type === "text/plain" && out.text === undefined) out.text = part;
    else if (!isAttachment && type === "text/html" && out.html === undefined) out.html = part;
    else if (node.id && type.startsWith("image/") && !isAttachment) {
      out.inline.set(node.id.replace(/^<|>$/g, ""), entry);
    } else out.attachments.push(entry);
  };
  if (root) visit(root);
  return out;
}

async function readAll(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      stream.destroy();
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A part's decoded content (text in UTF-8), at most `limit` bytes. */
export async function partContent(
  client: ImapFlow,
  uid: number,
  part: string,
  limit = MAX_SHOWN_PART_BYTES,
): Promise<Buffer> {
  const download = await client.download(String(uid), part, { uid: true, maxBytes: limit });
  if (!download.content) throw new ApiError("NOT_FOUND");
  return readAll(download.content, limit);
}

/** Header lines named `name` from a raw header block, unfolded. */
export function headerValues(raw: Buffer | undefined, name: string): string[] {
  if (raw === undefined) return [];
  const unfolded = raw.toString("utf8").replace(/\r?\n[ \t]+/g, " ");
  const prefix = `${name.toLowerCase()}:`;
  return unfolded
    .split(/\r?\n/)
    .filter((line) => line.toLowerCase().startsWith(prefix))
    .map((line) => line.slice(prefix.length).trim());
}

/** Fetches what the reading pane needs; marks the message \Seen. */
export async function readMessage(client: ImapFlow, uid: number): Promise<MessageView> {
  const m = await client.fetchOne(
    String(uid),
    {
      uid: true,
      flags: true,
      envelope: true,
      bodyStructure: true,
      headers: ["authentication-results", "references"],
    },
    { uid: true },
  );
  if (!m) throw new ApiError("NOT_FOUND");
  const parts = partsOf(m.bodyStructure);
  const text =
    parts.text === undefined ? null : (await partContent(client, uid, parts.text)).toString("utf8");
  const blockedImages =
    parts.html === undefined
      ? 0
      : sanitizeMessageHtml((await partContent(client, uid, parts.html)).toString("utf8"), {
          remoteImages: false,
          inlineImage: () => undefined,
        }).blockedImages;
  if (!m.flags?.has("\\Seen")) await client.messageFlagsAdd(String(uid), ["\\Seen"], { uid: true });
  const envelope = m.envelope;
  return {
    uid,
    subject: envelope?.subject ?? "",
    from: addresses(envelope?.from),
    to: addresses(envelope?.to),
    cc: addresses(envelope?.cc),
    replyTo: addresses(envelope?.replyTo),
    date: envelope?.date ? new Date(envelope.date).toISOString() : null,
    messageId: envelope?.messageId ?? null,
    inReplyTo: envelope?.inReplyTo ?? null,
    references: headerValues(m.headers, "references")[0] ?? null,
    flags: [...new Set([...(m.flags ?? []), "\\Seen"])],
    text,
    hasHtml: parts.html !== undefined,
    blockedImages,
    attachments: parts.attachments,
    authenticationResults: headerValues(m.headers, "authentication-results"),
  };
}

/** The HTML part (or the text as HTML, by the caller) and inline images as data: URLs. */
export async function htmlAndImages(
  client: ImapFlow,
  uid: number,
): Promise<{ html: string | undefined; text: string | undefined; images: Map<string, string> }> {
  const m = await client.fetchOne(String(uid), { uid: true, bodyStructure: true }, { uid: true });
  if (!m) throw new ApiError("NOT_FOUND");
  const parts = partsOf(m.bodyStructure);
  const images = new Map<string, string>();
  if (parts.html === undefined) {
    const text =
      parts.text === undefined ? "" : (await partContent(client, uid, parts.text)).toString("utf8");
    return { html: undefined, text, images };
  }
  const html = (await partContent(client, uid, parts.html)).toString("utf8");
  let budget = MAX_INLINE_IMAGE_BYTES;
  for (const [id, image] of parts.inline) {
    if (!html.includes(`cid:${id}`) || image.size > budget) continue;
    const content = await partContent(client, uid, image.part, budget);
    budget -= content.length;
    images.set(id, `data:${image.type};base64,${content.toString("base64")}`);
  }
  return { html, text: undefined, images };
}

/** Streams one attachment; NOT_FOUND if the message has no such part. */
export async function attachmentStream(
  client: ImapFlow,
  uid: number,
  part: string,
): Promise<{ attachment: Attachment; content: Readable }> {
  const m = await client.fetchOne(String(uid), { uid: true, bodyStructure: true }, { uid: true });
  if (!m) throw new ApiError("NOT_FOUND");
  const parts = partsOf(m.bodyStructure);
  const attachment = [...parts.attachments, ...parts.inline.values()].find((a) => a.part === part);
  if (attachment === undefined) throw new ApiError("NOT_FOUND");
  const download = await client.download(String(uid), part, { uid: true });
  if (!download.content) throw new ApiError("NOT_FOUND");
  return { attachment, content: download.content };
}
