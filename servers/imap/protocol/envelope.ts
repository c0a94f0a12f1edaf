/**
 * ENVELOPE and BODY/BODYSTRUCTURE (RFC 9051 §7.5.2) from what the store parsed at append time:
 * the Envelope and the MimePart tree. No message is read to answer them.
 */
import type { Address, Envelope, MimePart } from "../../store/index.ts";
import { Seq, str, type Value } from "./serializer.ts";

function addresses(list: readonly Address[] | null): Value {
  if (!list || list.length === 0) return null;
  return [new Seq(list.map((a) => [str(a.name), str(a.adl), str(a.mailbox), str(a.host)]))];
}

export function envelopeValue(e: Envelope): Value[] {
  return [
    str(e.date),
    str(e.subject),
    addresses(e.from),
    addresses(e.sender),
    addresses(e.replyTo),
    addresses(e.to),
    addresses(e.cc),
    addresses(e.bcc),
    str(e.inReplyTo),
    str(e.messageId),
  ];
}

function params(list: MimePart["params"]): Value {
  if (list.length === 0) return null;
  return list.flatMap(([name, value]) => [str(name), str(value)]);
}

function disposition(part: MimePart): Value {
  if (!part.disposition) return null;
  return [str(part.disposition.type), params(part.disposition.params)];
}

function language(part: MimePart): Value {
  const langs = part.language;
  if (!langs || langs.length === 0) return null;
  return langs.length === 1 ? str(langs[0]) : langs.map((l) => str(l));
}

/** RFC 9051 body-ext-1part / body-ext-mpart after the common fields. */
function extension(part: MimePart): Value[] {
  return [disposition(part), language(part), str(part.location)];
}

/**
 * BODYSTRUCTURE (`extended`) or BODY. Multiparts list their children then the subtype; a
 * message/rfc822 part carries the envelope, structure and line count of what it encloses.
 */
export function bodyStructureValue(part: MimePart, extended: boolean): Value[] {
  if (part.children) {
    return [
      new Seq(part.children.map((child) => bodyStructureValue(child, extended))),
      str(part.subtype),
      ...(extended ? [params(part.params), ...extension(part)] : []),
    ];
  }
  const fields: Value[] = [
    str(part.type),
    str(part.subtype),
    params(part.params),
    str(part.id),
    str(part.description),
    str(part.encoding?.trim() || "7bit"),
    part.bodyEnd - part.bodyStart,
  ];
  if (part.message) {
    fields.push(
      envelopeValue(part.message.envelope),
      bodyStructureValue(part.message.root, extended),
      part.lines,
    );
  } else if (part.type === "text") {
    fields.push(part.lines);
  }
  if (extended) fields.push(str(part.md5), ...extension(part));
  return fields;
}
