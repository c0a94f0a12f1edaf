/**
 * The session's state (RFC 9051 §3) as one discriminated union, switched in one place: the
 * dispatcher checks a command's declared states against `kind` before the command runs, and
 * hands it the state already narrowed.
 */
import type { User } from "../../shared/directory/types.ts";
import type { Account } from "../../store/index.ts";
import type { SelectedMailbox } from "./selected-mailbox.ts";

export type SessionState =
  | { readonly kind: "not-authenticated" }
  | { readonly kind: "authenticated"; readonly user: User; readonly account: Account }
  | {
      readonly kind: "selected";
      readonly user: User;
      readonly account: Account;
      readonly mailbox: SelectedMailbox;
    }
  | { readonly kind: "logout" };

export type StateKind = SessionState["kind"];

export type StateOf<K extends StateKind> = Extract<SessionState, { kind: K }>;

/** Shorthands for command declarations. */
export const ANY: readonly StateKind[] = ["not-authenticated", "authenticated", "selected"];
export const NOT_AUTHENTICATED = ["not-authenticated"] as const;
export const AUTHENTICATED = ["authenticated", "selected"] as const;
export const SELECTED = ["selected"] as const;

/** Extensions a client turned on with ENABLE (RFC 5161) or by using them (RFC 7162 §3.1). */
export type Extension = "IMAP4REV2" | "CONDSTORE" | "QRESYNC" | "UTF8=ACCEPT";
