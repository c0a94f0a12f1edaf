/**
 * The user's IMAP connections. The webmail logs in to our IMAP server with the user's own
 * address and password, exactly as any mail client would; a login the IMAP server refuses is a
 * refused webmail login.
 */
import { ImapFlow } from "imapflow";
import type { Upstream } from "../config.ts";
import { ApiError } from "../errors.ts";

export interface UpstreamTls {
  readonly upstream: Upstream;
  /** PEM of the CA to trust; undefined trusts the system's CAs. */
  readonly ca: string | undefined;
}

/**
 * Opens and logs in a new IMAP connection; rejects with LOGIN_FAILED or IMAP_UNAVAILABLE.
 * `idle`: the connection enters IDLE whenever it has nothing to do (for the event stream).
 */
export type ImapConnector = (
  address: string,
  password: string,
  options?: { readonly idle?: boolean },
) => Promise<ImapFlow>;

export function imapConnector({ upstream, ca }: UpstreamTls): ImapConnector {
  return async (address, password, options = {}) => {
    const client = new ImapFlow({
      host: upstream.host,
      port: upstream.port,
      secure: upstream.tls === "implicit",
      ...(upstream.tls === "starttls" ? { doSTARTTLS: true } : {}),
      tls: {
        ...(ca === undefined ? {} : { ca }),
        ...(upstream.servername === undefined ? {} : { servername: upstream.servername }),
        minVersion: "TLSv1.2",
      },
      auth: { user: address, pass: password },
      logger: false,
      // The session's connection serves requests; only the event stream's connection idles.
      disableAutoIdle: options.idle !== true,
      autoIdleDelay: 50,
      clientInfo: { name: "mailstack webmail" },
      // The webmail sits beside its IMAP server (same host or network): COMPRESS=DEFLATE would
      // cost a round trip at login and CPU on both ends for every page, and save no time.
      disableCompression: true,
    });
    // An error after connect() is emitted; without a listener it would end the process.
    client.on("error", () => undefined);
    try {
      await client.connect();
    } catch (error) {
      client.close();
      if ((error as { authenticationFailed?: boolean }).authenticationFailed) {
        throw new ApiError("LOGIN_FAILED");
      }
      throw new ApiError("IMAP_UNAVAILABLE");
    }
    return client;
  };
}

/**
 * A session's IMAP connection: opened at login, opened again when the server closed it (its
 * authenticated timeout, a restart), closed at logout.
 */
export class ImapAccount {
  private current: Promise<ImapFlow>;
  private readonly others = new Set<ImapFlow>();
  private closed = false;

  constructor(
    private readonly connect: ImapConnector,
    private readonly address: string,
    private readonly password: string,
    first: ImapFlow,
  ) {
    this.current = Promise.resolve(first);
  }

  /** A logged-in connection. */
  async client(): Promise<ImapFlow> {
    if (this.closed) throw new ApiError("NOT_LOGGED_IN");
    const client = await this.current.catch(() => undefined);
    if (client?.usable) return client;
    this.current = this.connect(this.address, this.password);
    return this.current;
  }

  /** Another connection of the same user that idles (an event stream); closed with the session. */
  async idling(): Promise<ImapFlow> {
    if (this.closed) throw new ApiError("NOT_LOGGED_IN");
    const client = await this.connect(this.address, this.password, { idle: true });
    this.others.add(client);
    client.once("close", () => this.others.delete(client));
    return client;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const other of this.others) other.close();
    const client = await this.current.catch(() => undefined);
    if (client === undefined) return;
    await client.logout().catch(() => client.close());
  }
}
