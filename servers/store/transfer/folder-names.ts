/**
 * Mailbox names on disk for export and import. Each hierarchy level is written in modified
 * UTF-7 (as Dovecot and Courier name Maildir++ folders), with "." escaped as "&AC4-" since
 * Maildir++ uses "." as its separator, and a leading "~" escaped so no name reads as a path.
 */
import { decodeMutf7, encodeMutf7 } from "../mutf7.ts";
import { DELIMITER } from "../mailbox-name.ts";

export function encodeLevel(level: string): string {
  return encodeMutf7(level).replace(/\./g, "&AC4-").replace(/^~/, "&AH4-");
}

export function decodeLevel(level: string): string {
  return decodeMutf7(level);
}

/** "Work/Reports" -> ".Work.Reports" (Maildir++); INBOX is the Maildir's root. */
export function maildirFolder(name: string): string {
  return name === "INBOX" ? "" : `.${name.split(DELIMITER).map(encodeLevel).join(".")}`;
}

export function mailboxFromMaildirFolder(folder: string): string {
  if (folder === "") return "INBOX";
  return folder.slice(1).split(".").map(decodeLevel).join(DELIMITER);
}
