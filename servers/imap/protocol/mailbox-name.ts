/**
 * Mailbox names on the wire (RFC 9051 §5.1): IMAP4rev1 clients spell non-ASCII names in
 * modified UTF-7 (RFC 3501 §5.1.3); sessions that enabled IMAP4rev2 or UTF8=ACCEPT (RFC 6855)
 * use UTF-8. The store keeps UTF-8.
 */
import { decodeMutf7, encodeMutf7 } from "../../store/index.ts";
import { bad } from "./errors.ts";
import { str, type Str } from "./serializer.ts";
import { astringBytes, type Token } from "./tokens.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeMailboxName(bytes: Buffer, utf8: boolean): string {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw bad("Mailbox name is not valid UTF-8");
  }
  if (utf8) return text;
  // RFC 3501 §5.1.3: "&" starts a modified UTF-7 run; 8-bit names are read as UTF-8 (lenient).
  return text.includes("&") ? decodeMutf7(text) : text;
}

export function mailboxArg(token: Token | undefined, utf8: boolean): string {
  const name = decodeMailboxName(astringBytes(token, "mailbox name"), utf8);
  if (name === "") throw bad("Empty mailbox name");
  return name;
}

export function encodeMailboxName(name: string, utf8: boolean): Str {
  return str(utf8 ? name : encodeMutf7(name)) as Str;
}
