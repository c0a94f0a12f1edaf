/**
 * The JSON the webmail's API sends, as one set of types for both sides: the server's mail/
 * modules build these and the browser's client/ reads them. Types only, so the browser bundle
 * takes nothing from here and client/ (type-checked against the DOM) may import it.
 */

export type SortKey = "arrival" | "date" | "from" | "subject" | "size";

export interface Address {
  readonly name: string;
  readonly address: string;
}

export interface Folder {
  readonly path: string;
  readonly name: string;
  readonly delimiter: string;
  readonly specialUse: string | null;
  readonly total: number;
  readonly unread: number;
}

export interface MessageSummary {
  readonly uid: number;
  readonly from: Address[];
  readonly to: Address[];
  readonly subject: string;
  readonly date: string | null;
  readonly size: number;
  readonly flags: string[];
  readonly hasAttachment: boolean;
  /** Set on a conversation's row when the list shows conversations and it has several. */
  readonly thread?: ThreadInfo;
}

/** A conversation shown as one row (the row's own fields are its first message's). */
export interface ThreadInfo {
  /** Messages in the conversation. */
  readonly count: number;
  /** Unread among `messages`. */
  readonly unread: number;
  /** The newest Date among `messages`. */
  readonly latest: string | null;
  /** Every message of the conversation, in the list's order (for actions on all of it). */
  readonly uids: number[];
  /** The first MAX_THREAD_MESSAGES_SHOWN of them, in the list's order. */
  readonly messages: MessageSummary[];
}

export interface MessagePage {
  readonly folder: string;
  /** Messages, or conversations when `threads`. */
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly sort: SortKey;
  readonly descending: boolean;
  readonly threads: boolean;
  readonly messages: MessageSummary[];
}

export interface Attachment {
  readonly part: string;
  readonly filename: string;
  readonly type: string;
  readonly size: number;
}

export interface MessageView {
  readonly uid: number;
  readonly subject: string;
  readonly from: Address[];
  readonly to: Address[];
  readonly cc: Address[];
  readonly replyTo: Address[];
  readonly date: string | null;
  readonly messageId: string | null;
  readonly inReplyTo: string | null;
  readonly references: string | null;
  readonly flags: string[];
  readonly text: string | null;
  readonly hasHtml: boolean;
  /** Remote images the HTML body holds back until the user allows them. */
  readonly blockedImages: number;
  readonly attachments: Attachment[];
  /** Each Authentication-Results header (RFC 8601), unfolded, newest first. */
  readonly authenticationResults: string[];
}
