/**
 * Mailbox names as the store keeps them: UTF-8 in NFC (RFC 9051 §5.1 wants names in Net-Unicode,
 * RFC 5198), "/" as the hierarchy delimiter, INBOX spelled in capitals however it was typed
 * (RFC 9051 §5.1: INBOX is case-insensitive). The IMAP server converts modified UTF-7 (RFC 3501
 * §5.1.3) for IMAP4rev1 clients before calling.
 */
import { StoreError } from "./errors.ts";
import type { SpecialUse } from "./types.ts";

export const DELIMITER = "/";
const MAX_NAME = 1000;
const MAX_COMPONENT = 255;

/** The canonical form of a name; throws INVALID for a name the store refuses. */
export function normalizeMailboxName(name: string): string {
  const nfc = name.normalize("NFC");
  const parts = nfc.split(DELIMITER);
  if (nfc.length === 0 || nfc.length > MAX_NAME) throw invalid(name, "empty or too long");
  for (const part of parts) {
    if (part === "") throw invalid(name, "empty hierarchy level");
    if (part.length > MAX_COMPONENT) throw invalid(name, "a level is too long");
    // Controls cannot be sent in IMAP; % and * would be LIST wildcards (RFC 9051 §6.3.9).

    if (/[\x00-\x1f\x7f%*]/.test(part)) throw invalid(name, "forbidden character");
  }
  if (parts[0]?.toUpperCase() === "INBOX") parts[0] = "INBOX";
  return parts.join(DELIMITER);
}

function invalid(name: string, why: string): StoreError {
  return new StoreError("INVALID", `invalid mailbox name ${JSON.stringify(name)}: ${why}`);
}

/** The names of all superiors, outermost first: "a/b/c" gives ["a", "a/b"]. */
export function parentNames(name: string): string[] {
  const parts = name.split(DELIMITER);
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join(DELIMITER));
}

/** Where each role lives unless the user moved it (RFC 6154 names the attributes, not these). */
export const DEFAULT_ROLE_NAMES: Readonly<Record<SpecialUse, string>> = {
  "\\Inbox": "INBOX",
  "\\Sent": "Sent",
  "\\Drafts": "Drafts",
  "\\Trash": "Trash",
  "\\Junk": "Junk",
  "\\Archive": "Archive",
};

export const SPECIAL_USES = Object.keys(DEFAULT_ROLE_NAMES) as SpecialUse[];

export function isSpecialUse(value: string | null): value is SpecialUse {
  return value !== null && (SPECIAL_USES as string[]).includes(value);
}
