/** Shared by the Maildir and mbox importers: appends in groups so they share commits. */
import { splitFlags } from "../flags.ts";
import type { Account, InternalDate } from "../types.ts";

export interface TransferResult {
  readonly mailboxes: number;
  readonly messages: number;
}

export interface ImportedMessage {
  readonly load: () => Promise<Uint8Array>;
  readonly flags: readonly string[];
  readonly date: InternalDate;
}

/** Appends this many at once: one group commit each, and bounded memory. */
const GROUP = 64;

/** Appends in order (UIDs follow the list), GROUP at a time; resolves to the count. */
export async function appendAll(
  account: Account,
  mailboxId: number,
  messages: readonly ImportedMessage[],
): Promise<number> {
  for (let i = 0; i < messages.length; i += GROUP) {
    const group = messages.slice(i, i + GROUP);
    // Load first, then queue every append in the same tick so they are committed together and
    // receive UIDs in list order.
    const raws = await Promise.all(group.map((m) => m.load()));
    await Promise.all(
      group.map((m, j) =>
        account.append(mailboxId, raws[j] ?? new Uint8Array(), {
          flags: m.flags.filter(isValidFlag),
          internalDate: m.date,
        }),
      ),
    );
  }
  return messages.length;
}

/**
 * A file with bare LF line ends only (how most Maildir and mbox tools store mail) becomes CRLF,
 * the form IMAP serves (RFC 9051 §2.3.3 counts sizes in it); a file that already holds any CRLF
 * is kept byte for byte.
 */
export function toCrlf(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  if (text.includes("\r\n") || !text.includes("\n")) return bytes;
  return Buffer.from(text.replace(/\n/g, "\r\n"), "latin1");
}

/** Foreign files carry keywords IMAP cannot express (spaces, brackets): those are dropped. */
function isValidFlag(flag: string): boolean {
  try {
    splitFlags([flag]);
    return true;
  } catch {
    return false;
  }
}
