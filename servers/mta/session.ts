/**
 * What the MTA keeps per connection and per mail transaction, beside smtp-server's own session
 * (which is the protocol state machine). smtp-server makes a new envelope object for every
 * transaction (after EHLO, RSET and DATA), so transaction state is keyed by it and cannot leak
 * from one message into the next.
 */
import type { SMTPServerSession } from "smtp-server";
import type { Logger } from "../shared/log.ts";
import { clientKey } from "./client-limits.ts";
import { transactionId } from "./message/trace.ts";

/** Where one accepted recipient goes. */
export type Route =
  /** One of our users or groups: the MDA; a group's members beyond our domains: the queue. */
  | {
      readonly kind: "local";
      readonly address: string;
      readonly remoteMembers: readonly string[];
    }
  /** Another domain: the queue (submission; on port 25, a bounce to our SRS address). */
  | { readonly kind: "remote"; readonly address: string };

export interface Transaction {
  readonly id: string;
  readonly startedAt: number;
  /** By the recipient address as smtp-server keeps it, lower-cased. */
  readonly routes: Map<string, Route>;
}

export interface Connection {
  readonly log: Logger;
  /** The client address as limits count it. */
  readonly clientKey: string;
  /** True once the connection was counted against the per-client limit. */
  counted: boolean;
}

export class SessionStates {
  readonly #log: Logger;
  readonly #connections = new WeakMap<SMTPServerSession, Connection>();
  readonly #transactions = new WeakMap<object, Transaction>();

  constructor(log: Logger) {
    this.#log = log;
  }

  connection(session: SMTPServerSession): Connection {
    let connection = this.#connections.get(session);
    if (!connection) {
      connection = {
        log: this.#log.child({ cid: session.id, remote: session.remoteAddress }),
        clientKey: clientKey(session.remoteAddress),
        counted: false,
      };
      this.#connections.set(session, connection);
    }
    return connection;
  }

  /** The connection's state if it has any (a connection closed before its greeting has none). */
  existingConnection(session: SMTPServerSession): Connection | undefined {
    return this.#connections.get(session);
  }

  /** The current transaction, begun at MAIL FROM. */
  transaction(session: SMTPServerSession): Transaction {
    let transaction = this.#transactions.get(session.envelope);
    if (!transaction) {
      transaction = { id: transactionId(), startedAt: Date.now(), routes: new Map() };
      this.#transactions.set(session.envelope, transaction);
    }
    return transaction;
  }
}

export function routeKey(address: string): string {
  return address.toLowerCase();
}
