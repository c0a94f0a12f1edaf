/**
 * One message for reading: its envelope, the parts to show (text, HTML), the attachments, the
 * inline images, and the Authentication-Results our MTA recorded. Parts come decoded (and text in
 * UTF-8) from imapflow's download; nothing reads the raw message into memory whole.
 */
import type { FetchMessageObject, ImapFlow, MessageStructureObject } from "imapflow";
import type { Readable } from "node:stream";
import { ApiError } from "../errors.ts";
import { MAX_INLINE_IMAGE_BYTES, MAX_SHOWN_PART_BYTES } from "../limits.ts";
import type { Attachment, MessageView } from "../api-types.ts";
import { addresses, inMailbox } from "./mailbox.ts";
import { sanitizeMessageHtml, textToHtml, type SanitizedHtml } from "./sanitize.ts";

export interface MessageParts {
  readonly text: string | undefined;
  readonly html: string | undefined;
  readonly attachments: Attachment[];
  /** Inline images by Content-ID (without <>). */
  readonly inline: Map<string, Attachment>;
}

export type { Attachment, MessageView } from "../api-types.ts";

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

/** A part's text as a string, from its charset (UTF-8 when unknown or unsupported). */
function decodeText(content: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? "utf-8").decode(content);
  } catch {
    return content.toString("utf8");
  }
}

/**
 * What reading a message needs, fetched in two commands: the envelope, flags, structure and
 * headers, then the text and HTML parts with the inline images the HTML refers to (one FETCH of
 * several sections). The message's JSON and its body frame are asked for together; the first
 * request loads it and the other takes the same load (see `messageContent`).
 */
export interface MessageContent {
  readonly uid: number;
  readonly message: FetchMessageObject;
  readonly parts: MessageParts;
  readonly text: string | undefined;
  readonly html: string | undefined;
  /** Inline images by Content-ID, as data: URLs. */
  readonly images: Map<string, string>;
}

async function loadContent(client: ImapFlow, uid: number): Promise<MessageContent> {
  const message = await client.fetchOne(
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
  if (!message) throw new ApiError("NOT_FOUND");
  const parts = partsOf(message.bodyStructure);
  const shown = [parts.text, parts.html].filter((p) => p !== undefined);
  const texts = new Map<string, string>();
  if (message.bodyStructure?.childNodes === undefined) {
    // A single-part message: its one part is the body (imapflow's download knows the way).
    for (const part of shown) {
      texts.set(part, (await partContent(client, uid, part)).toString("utf8"));
    }
  } else if (shown.length > 0) {
    const got = await client.downloadMany(String(uid), shown, {
      uid: true,
      maxBytes: MAX_SHOWN_PART_BYTES,
    });
    for (const part of shown) {
      const entry = got[part];
      if (entry?.content) texts.set(part, decodeText(entry.content, entry.meta.charset));
    }
  }
  const html = parts.html === undefined ? undefined : (texts.get(parts.html) ?? "");
  const text = parts.text === undefined ? undefined : (texts.get(parts.text) ?? "");
  const images = new Map<string, string>();
  if (html !== undefined) {
    let budget = MAX_INLINE_IMAGE_BYTES;
    const wanted = [...parts.inline].filter(([id, image]) => {
      if (!html.includes(`cid:${id}`) || image.size > budget) return false;
      budget -= image.size;
      return true;
    });
    if (wanted.length > 0) {
      const got = await client.downloadMany(
        String(uid),
        wanted.map(([, image]) => image.part),
        { uid: true, maxBytes: MAX_INLINE_IMAGE_BYTES },
      );
      for (const [id, image] of wanted) {
        const content = got[image.part]?.content;
        if (content) images.set(id, `data:${image.type};base64,${content.toString("base64")}`);
      }
    }
  }
  return { uid, message, parts, text, html, images };
}

interface Shared {
  readonly content: Promise<MessageContent>;
  /** Who took this load; each asks once per opening, a second ask loads afresh. */
  readonly takenBy: Set<string>;
}
const shared = new WeakMap<ImapFlow, Map<string, Shared>>();
/** A load waits this long for the other request of the same opening. */
const SHARED_MS = 30_000;

/**
 * The message's content for `who` ("view" or "body"): the load the other request started for
 * the same opening if there is one, else a new load it can take. Content is fixed for a UID;
 * flags are not, so a second ask by the same requester (the message opened again) loads afresh.
 */
export function messageContent(
  client: ImapFlow,
  folder: string,
  uid: number,
  who: string,
): Promise<MessageContent> {
  const taken = takeShared(client, folder, uid, who);
  if (taken !== undefined) return taken;
  let loads = shared.get(client);
  if (loads === undefined) {
    loads = new Map();
    shared.set(client, loads);
  }
  const key = `${folder}\n${uid}`;
  const content = loadContent(client, uid);
  const entry: Shared = { content, takenBy: new Set([who]) };
  loads.set(key, entry);
  const forget = () => {
    if (loads.get(key) === entry) loads.delete(key);
  };
  setTimeout(forget, SHARED_MS).unref();
  content.catch(forget);
  return content;
}

/**
 * The load another request of the same opening started, if any (taken by `who`). Needs no
 * mailbox: the caller waits for the load, not for the lock the other request holds.
 */
export function takeShared(
  client: ImapFlow,
  folder: string,
  uid: number,
  who: string,
): Promise<MessageContent> | undefined {
  const found = shared.get(client)?.get(`${folder}\n${uid}`);
  if (found === undefined || found.takenBy.has(who)) return undefined;
  found.takenBy.add(who);
  return found.content;
}

const sanitizedOnce = new WeakMap<MessageContent, SanitizedHtml>();

/**
 * The HTML body sanitized (the text as HTML if there is none); without remote images it is
 * worked out once for both requests of an opening (the view counts its held-back images).
 */
export function sanitizedBody(content: MessageContent, remoteImages: boolean): SanitizedHtml {
  if (content.html === undefined) {
    return { html: `<pre>${textToHtml(content.text ?? "")}</pre>`, css: "", blockedImages: 0 };
  }
  const known = remoteImages ? undefined : sanitizedOnce.get(content);
  if (known !== undefined) return known;
  const result = sanitizeMessageHtml(content.html, {
    remoteImages,
    inlineImage: (id) => content.images.get(id),
  });
  if (!remoteImages) sanitizedOnce.set(content, result);
  return result;
}

/** The reading pane's view of a loaded message; marks it \Seen. */
export async function readMessage(
  client: ImapFlow,
  folder: string,
  content: MessageContent,
): Promise<MessageView> {
  const { uid, message: m, parts } = content;
  const { blockedImages } = sanitizedBody(content, false);
  if (!m.flags?.has("\\Seen")) {
    await inMailbox(client, folder, () =>
      client.messageFlagsAdd(String(uid), ["\\Seen"], { uid: true }),
    );
  }
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
    text: content.text ?? null,
    hasHtml: parts.html !== undefined,
    blockedImages,
    attachments: parts.attachments,
    authenticationResults: headerValues(m.headers, "authentication-results"),
  };
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
