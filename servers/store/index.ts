/**
 * The mail store library: what the MDA, IMAP and POP3 servers import. They program against the
 * interfaces in types.ts; `openMailStore` gives the embedded backend.
 */
import { SqliteMailStore, type SqliteStoreOptions } from "./sqlite/sqlite-store.ts";
import type { MailStore } from "./types.ts";

export type * from "./types.ts";
export type { Day, SearchKey } from "./search-key.ts";
export type { Address } from "./mime/address.ts";
export { StoreError, isStoreError, type StoreErrorCode } from "./errors.ts";
export { filterHeaderFields, sectionRange } from "./mime/sections.ts";
export { findPart } from "./mime/mime-tree.ts";
export { baseSubject } from "./mime/subject.ts";
export { decodeTransfer } from "./mime/encoding.ts";
export { encodeMutf7, decodeMutf7 } from "./mutf7.ts";
export { exportMaildir, importMaildir } from "./transfer/maildir.ts";
export { exportMbox, importMbox } from "./transfer/mbox.ts";
export { backupStore, restoreStore, readManifest } from "./sqlite/backup.ts";
export { normalizeMailboxName, DELIMITER } from "./mailbox-name.ts";
export type { SqliteStoreOptions } from "./sqlite/sqlite-store.ts";

export function openMailStore(options: SqliteStoreOptions): MailStore {
  return new SqliteMailStore(options);
}
