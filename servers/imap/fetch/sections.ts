/**
 * Where a BODY[section] lies in the stored message (RFC 9051 §6.4.5), from the MIME tree kept
 * at append time. Part numbers name the parts of a multipart, and inside a message/rfc822 part
 * the parts of the message it encloses; the top-level message counts as such an enclosure, so
 * a non-multipart message has exactly one part, "1", which is its body — also when that body is
 * itself a message/rfc822 (then "1.HEADER" is the enclosed header and "1.1" the enclosed body).
 */
import type { MimePart } from "../../store/index.ts";
import type { SectionSpec } from "./fetch-items.ts";

export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** The parts a number selects from: a multipart's children, or what an enclosure holds. */
function subparts(node: MimePart, enclosure: boolean): readonly MimePart[] {
  if (node.children) return node.children;
  if (enclosure) return [node];
  if (node.message) {
    const inner = node.message.root;
    return inner.children ?? [inner];
  }
  return [];
}

/** The part a path names, or undefined. */
export function partAt(root: MimePart, path: readonly number[]): MimePart | undefined {
  let node = root;
  let enclosure = true;
  for (const n of path) {
    const next = subparts(node, enclosure)[n - 1];
    if (!next) return undefined;
    node = next;
    enclosure = false;
  }
  return node;
}

/** The bytes of a section; undefined when the message has no such part (answered empty). */
export function sectionRange(root: MimePart, section: SectionSpec): ByteRange | undefined {
  const whole = section.part.length === 0;
  const part = whole ? root : partAt(root, section.part);
  if (!part) return undefined;
  const text = section.text.startsWith("HEADER") ? "HEADER" : section.text;
  switch (text) {
    case "":
      return whole ? { start: 0, end: root.bodyEnd } : { start: part.bodyStart, end: part.bodyEnd };
    case "HEADER":
    case "TEXT": {
      // HEADER and TEXT name a message: the top level, or a message/rfc822 part's content.
      const message = whole ? root : part.message?.root;
      if (!message) return undefined;
      return text === "HEADER"
        ? { start: message.headerStart, end: message.bodyStart }
        : { start: message.bodyStart, end: message.bodyEnd };
    }
    case "MIME":
      return whole ? undefined : { start: part.headerStart, end: part.bodyStart };
    default:
      return undefined;
  }
}
