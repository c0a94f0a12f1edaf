/** Reading DATA from smtp-server: the whole message, or nothing when it went over the limit. */
import type { SMTPServerDataStream } from "smtp-server";

/**
 * Reads the message into memory; undefined when it was larger than `limit`. The stream is
 * always drained to its end, so smtp-server can answer (552 with rejectOversized) and go on.
 */
export async function readMessage(
  stream: SMTPServerDataStream,
  limit: number,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return stream.sizeExceeded || size > limit ? undefined : Buffer.concat(chunks, size);
}

/** RFC 6152 §3 and RFC 5321 §2.3.8: NUL is never part of SMTP data (BINARYMIME aside). */
export function containsNul(raw: Uint8Array): boolean {
  return raw.includes(0);
}
