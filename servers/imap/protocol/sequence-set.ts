/**
 * Sequence sets (RFC 9051 §9 sequence-set): "1:5,7,9:*", and "$", the saved search result of
 * SEARCHRES (RFC 5182). Parsing only; resolving numbers against a mailbox is the selected
 * mailbox's business (selected-mailbox.ts), since "*" means its largest number.
 */
import { bad } from "./errors.ts";
import { isAtom, type Token } from "./tokens.ts";

/** A number, or "*" for the largest number in use. */
export type SeqNumber = number | "*";

export type SequenceSet =
  | { readonly kind: "saved" }
  | { readonly kind: "ranges"; readonly ranges: readonly (readonly [SeqNumber, SeqNumber])[] };

const SET = /^(\d+|\*)(:(\d+|\*))?(,(\d+|\*)(:(\d+|\*))?)*$/;

function seqNumber(text: string): SeqNumber {
  if (text === "*") return "*";
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > 0xffffffff || text.length > 10) {
    throw bad("Invalid sequence set: numbers are 1 to 4294967295");
  }
  return n;
}

export function parseSequenceSetText(text: string): SequenceSet {
  if (text === "$") return { kind: "saved" };
  if (!SET.test(text)) throw bad("Invalid sequence set");
  const ranges = text.split(",").map((part): [SeqNumber, SeqNumber] => {
    const [a = "", b] = part.split(":");
    const first = seqNumber(a);
    return [first, b === undefined ? first : seqNumber(b)];
  });
  return { kind: "ranges", ranges };
}

export function isSequenceSet(token: Token | undefined): boolean {
  return isAtom(token) && !token.section && (token.value === "$" || SET.test(token.value));
}

export function sequenceSet(token: Token | undefined): SequenceSet {
  if (!isAtom(token) || token.section) throw bad("Expected a sequence set");
  return parseSequenceSetText(token.value);
}

/** The compact text of a sorted list of numbers: [1,2,3,5] gives "1:3,5". */
export function formatNumberSet(numbers: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < numbers.length) {
    const start = numbers[i] as number;
    let end = start;
    while (i + 1 < numbers.length && numbers[i + 1] === end + 1) end = numbers[++i] as number;
    parts.push(start === end ? `${start}` : `${start}:${end}`);
    i++;
  }
  return parts.join(",");
}
