/**
 * The data of one message's FETCH response (RFC 9051 §7.5.2), item by item, from the summary
 * (flags, size, date), the metadata kept at append time (ENVELOPE, BODYSTRUCTURE) and the
 * stored bytes (sections, read only when asked for, and only the range asked for).
 */
import {
  decodeTransfer,
  filterHeaderFields,
  findPart,
  sectionRange,
  type MailboxView,
  type MessageMetadata,
  type MessageSummary,
} from "../../store/index.ts";
import { formatInternalDate } from "../protocol/date-time.ts";
import { bodyStructureValue, envelopeValue } from "../protocol/envelope.ts";
import { no } from "../protocol/errors.ts";
import { atom, literal, str, type Atom, type Value } from "../protocol/serializer.ts";
import type { FetchItem, Partial, SectionSpec } from "./fetch-items.ts";

/** The message disappeared from the store while we read it. */
export class MessageGone extends Error {}

export interface MessageContext {
  readonly view: MailboxView;
  readonly summary: MessageSummary;
  readonly metadata: MessageMetadata | undefined;
  /** Flags as the client sees them (with \Recent for IMAP4rev1 sessions). */
  readonly flags: (uid: number, flags: readonly string[]) => Atom[];
}

function fieldName(name: string): string {
  return /^[!#-'*-Z^-~]+$/.test(name) ? name : `"${name.replace(/(["\\])/g, "\\$1")}"`;
}

export function sectionLabel(section: SectionSpec): string {
  const part = section.part.join(".");
  const text =
    section.text +
    (section.fields.length > 0 ? ` (${section.fields.map(fieldName).join(" ")})` : "");
  return part !== "" && text !== "" ? `${part}.${text}` : part + text;
}

function applyPartial(bytes: Uint8Array, partial: Partial | undefined): Uint8Array {
  if (!partial) return bytes;
  const start = Math.min(partial.start, bytes.length);
  const end =
    partial.length === undefined ? bytes.length : Math.min(bytes.length, start + partial.length);
  return bytes.subarray(start, end);
}

async function readRange(ctx: MessageContext, start: number, end: number): Promise<Uint8Array> {
  if (start >= end) return new Uint8Array(0);
  const bytes = await ctx.view.read(ctx.summary.uid, { start, end });
  if (!bytes) throw new MessageGone();
  return bytes;
}

async function readSection(
  ctx: MessageContext,
  section: SectionSpec,
  partial: Partial | undefined,
): Promise<Uint8Array> {
  const { summary } = ctx;
  const whole = section.part.length === 0 && section.text === "";
  let range: { start: number; end: number } | undefined;
  if (whole) range = { start: 0, end: summary.size };
  else {
    if (!ctx.metadata) throw new MessageGone();
    // RFC 9051 §6.4.5: a section the message lacks is returned empty, not as an error.
    const text =
      section.text === "HEADER.FIELDS" || section.text === "HEADER.FIELDS.NOT"
        ? "HEADER"
        : section.text;
    range = sectionRange(ctx.metadata.mime, { part: section.part, text }) ?? { start: 0, end: 0 };
  }
  const fields = section.text.startsWith("HEADER.FIELDS");
  if (partial && !fields) {
    // Only the bytes asked for are read.
    const start = Math.min(range.start + partial.start, range.end);
    const end =
      partial.length === undefined ? range.end : Math.min(range.end, start + partial.length);
    return readRange(ctx, start, end);
  }
  const bytes = await readRange(ctx, range.start, range.end);
  const content =
    fields && bytes.length > 0
      ? filterHeaderFields(bytes, section.fields, section.text === "HEADER.FIELDS.NOT")
      : bytes;
  return applyPartial(content, partial);
}

/** RFC 3516: a part's body with its Content-Transfer-Encoding undone. */
async function readBinary(ctx: MessageContext, part: readonly number[]): Promise<Uint8Array> {
  if (part.length === 0) {
    const bytes = await ctx.view.read(ctx.summary.uid);
    if (!bytes) throw new MessageGone();
    return bytes;
  }
  const node = ctx.metadata && findPart(ctx.metadata.mime, part);
  if (!node) throw no("No such part", "UNKNOWN-CTE");
  const encoding = (node.encoding ?? "7bit").trim().toLowerCase();
  if (!["7bit", "8bit", "binary", "base64", "quoted-printable"].includes(encoding)) {
    throw no(`Cannot decode ${encoding}`, "UNKNOWN-CTE");
  }
  const raw = await readRange(ctx, node.bodyStart, node.bodyEnd);
  if (node.children || node.message) return raw;
  return decodeTransfer(Buffer.from(raw).toString("latin1"), encoding);
}

function binaryValue(bytes: Uint8Array): Value {
  return literal(bytes, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).includes(0));
}

/**
 * Items answered from the summary and metadata alone, without reading the message: their name
 * and value, or undefined for an item that reads stored bytes. Synchronous, so a FLAGS fetch
 * over 100,000 messages costs no promise per message.
 */
export function quickValues(ctx: MessageContext, item: FetchItem): Value[] | undefined {
  const { summary, metadata } = ctx;
  switch (item.kind) {
    case "FLAGS":
      return [atom("FLAGS"), ctx.flags(summary.uid, summary.flags)];
    case "UID":
      return [atom("UID"), summary.uid];
    case "INTERNALDATE":
      return [atom("INTERNALDATE"), str(formatInternalDate(summary.internalDate))];
    case "RFC822.SIZE":
      return [atom("RFC822.SIZE"), summary.size];
    case "MODSEQ":
      return [atom("MODSEQ"), [summary.modseq]];
    case "ENVELOPE":
      if (!metadata) throw new MessageGone();
      return [atom("ENVELOPE"), envelopeValue(metadata.envelope)];
    case "BODY":
    case "BODYSTRUCTURE":
      if (!metadata) throw new MessageGone();
      return [atom(item.kind), bodyStructureValue(metadata.mime, item.kind === "BODYSTRUCTURE")];
    default:
      return undefined;
  }
}

const WHOLE = { part: [], text: "", fields: [] } as const;

/** The item's name and value in the response, e.g. [atom("BODY[1]<0>"), literal]. */
export async function itemValues(ctx: MessageContext, item: FetchItem): Promise<Value[]> {
  const quick = quickValues(ctx, item);
  if (quick) return quick;
  switch (item.kind) {
    case "RFC822":
      return [atom("RFC822"), literal(await readSection(ctx, WHOLE, undefined))];
    case "RFC822.HEADER":
      return [
        atom("RFC822.HEADER"),
        literal(await readSection(ctx, { ...WHOLE, text: "HEADER" }, undefined)),
      ];
    case "RFC822.TEXT":
      return [
        atom("RFC822.TEXT"),
        literal(await readSection(ctx, { ...WHOLE, text: "TEXT" }, undefined)),
      ];
    case "section": {
      const origin = item.partial ? `<${item.partial.start}>` : "";
      const bytes = await readSection(ctx, item.section, item.partial);
      return [atom(`BODY[${sectionLabel(item.section)}]${origin}`), literal(bytes)];
    }
    case "binary": {
      const origin = item.partial ? `<${item.partial.start}>` : "";
      const bytes = applyPartial(await readBinary(ctx, item.part), item.partial);
      return [atom(`BINARY[${item.part.join(".")}]${origin}`), binaryValue(bytes)];
    }
    case "binary-size": {
      const bytes = await readBinary(ctx, item.part);
      return [atom(`BINARY.SIZE[${item.part.join(".")}]`), bytes.length];
    }
    default:
      throw new Error(`unhandled FETCH item ${item.kind}`);
  }
}

/** Items that read stored bytes (everything quickValues does not answer). */
export function readsContent(items: readonly FetchItem[]): boolean {
  return items.some(
    (i) =>
      i.kind === "section" ||
      i.kind === "binary" ||
      i.kind === "binary-size" ||
      i.kind === "RFC822" ||
      i.kind === "RFC822.HEADER" ||
      i.kind === "RFC822.TEXT",
  );
}

/** Items that read the parsed structure (every section but the whole message). */
export function needsMetadata(items: readonly FetchItem[]): boolean {
  return items.some(
    (i) =>
      i.kind === "ENVELOPE" ||
      i.kind === "BODY" ||
      i.kind === "BODYSTRUCTURE" ||
      i.kind === "RFC822.HEADER" ||
      i.kind === "RFC822.TEXT" ||
      (i.kind === "section" && (i.section.part.length > 0 || i.section.text !== "")) ||
      ((i.kind === "binary" || i.kind === "binary-size") && i.part.length > 0),
  );
}

/** Items that set \Seen (RFC 9051 §6.4.5: BODY[...] without PEEK, RFC822, RFC822.TEXT). */
export function setsSeen(items: readonly FetchItem[]): boolean {
  return items.some(
    (i) =>
      ((i.kind === "section" || i.kind === "binary") && !i.peek) ||
      i.kind === "RFC822" ||
      i.kind === "RFC822.TEXT",
  );
}
