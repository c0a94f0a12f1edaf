/**
 * The sessions of one user in this process. When a session changes the user's mail, its peers
 * are told at once, before the tagged reply goes out, so a client that acts on one connection
 * and then asks on another (NOOP) always sees the change. Store events would tell them too, but
 * a moment later (the store's notifier runs on a later tick); changes made by other processes
 * still arrive that way.
 */
export interface Peer {
  /** Something in the account may have changed. */
  touched(): void;
}

export class SessionPeers {
  readonly #byUser = new Map<string, Set<Peer>>();

  /** Registers a session; returns the function that removes it. */
  add(userId: string, peer: Peer): () => void {
    let peers = this.#byUser.get(userId);
    if (!peers) this.#byUser.set(userId, (peers = new Set()));
    peers.add(peer);
    return () => {
      peers.delete(peer);
      if (peers.size === 0) this.#byUser.delete(userId);
    };
  }

  /** Tells every other session of the user. */
  touch(userId: string, from: Peer): void {
    for (const peer of this.#byUser.get(userId) ?? []) if (peer !== from) peer.touched();
  }
}
