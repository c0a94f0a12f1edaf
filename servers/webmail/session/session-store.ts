/**
 * Server-side sessions. The browser holds only an opaque random id (in an HttpOnly, Secure,
 * SameSite=Strict cookie); everything else stays here: the address, the password (needed again
 * for submission and for the event stream's own IMAP connection; kept in memory only, never
 * logged or written), the CSRF token, and the user's IMAP connection.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { TOKEN_BYTES } from "../limits.ts";

export interface SessionTimes {
  readonly idleSeconds: number;
  readonly absoluteSeconds: number;
}

/** What the store keeps per user beside the credentials: closed when the session ends. */
export interface SessionResource {
  close(): Promise<void>;
}

export interface Session<R extends SessionResource = SessionResource> {
  readonly id: string;
  /** Synchronizer token: required in X-CSRF-Token on every state-changing request. */
  readonly csrfToken: string;
  readonly address: string;
  readonly password: string;
  readonly createdAt: number;
  lastSeen: number;
  readonly resource: R;
}

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString("base64url");
}

/** Compares two tokens in time independent of where they differ. */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SessionStore<R extends SessionResource = SessionResource> {
  private readonly sessions = new Map<string, Session<R>>();

  constructor(
    private readonly times: SessionTimes,
    private readonly now: () => number = Date.now,
  ) {}

  create(address: string, password: string, resource: R): Session<R> {
    const at = this.now();
    const session: Session<R> = {
      id: newToken(),
      csrfToken: newToken(),
      address,
      password,
      createdAt: at,
      lastSeen: at,
      resource,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, its idle timer restarted; undefined if none or expired. */
  touch(id: string | undefined): Session<R> | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    if (this.expired(session)) {
      void this.end(session.id);
      return undefined;
    }
    session.lastSeen = this.now();
    return session;
  }

  async end(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (session === undefined) return;
    this.sessions.delete(id);
    await session.resource.close().catch(() => undefined);
  }

  /** Ends every expired session. */
  async sweep(): Promise<void> {
    const expired = [...this.sessions.values()].filter((s) => this.expired(s));
    await Promise.all(expired.map((s) => this.end(s.id)));
  }

  async endAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id)));
  }

  get size(): number {
    return this.sessions.size;
  }

  private expired(session: Session<R>): boolean {
    const at = this.now();
    return (
      at - session.lastSeen >= this.times.idleSeconds * 1000 ||
      at - session.createdAt >= this.times.absoluteSeconds * 1000
    );
  }
}
