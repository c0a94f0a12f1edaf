/**
 * What the session core needs from a connection. server.ts implements it on a socket; tests
 * implement it in memory, so the whole protocol runs without a socket.
 */
export interface Transport {
  readonly remoteAddress: string;
  /** TLS is active (implicit TLS, or after STARTTLS). */
  readonly secure: boolean;
  /** Writes bytes; false when the caller should wait for `drain()` before writing much more. */
  write(data: Buffer): boolean;
  drain(): Promise<void>;
  /** Stop and restart reading (backpressure on a client that pipelines too much). */
  pause(): void;
  resume(): void;
  /**
   * STARTTLS (RFC 9051 §6.2.1): the handshake starts on the bytes that follow; resolves when
   * it completed. Bytes the client sent before the handshake were already discarded.
   */
  startTls(): Promise<void>;
  /**
   * COMPRESS=DEFLATE (RFC 4978): from now on writes are deflated and reads inflated. `pending`
   * is what the client already sent after the command: compressed bytes to inflate first.
   */
  startCompression(pending: Buffer): void;
  /** Ends the connection once written data has gone out. */
  close(): void;
}
