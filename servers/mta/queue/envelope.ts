/**
 * From an EnqueueInput (what a session hands over) to the envelope the spool stores, checked:
 * an envelope that cannot be delivered is refused before anything is acknowledged.
 */
import { InvalidEnvelopeError } from "./errors.ts";
import type { StoredEnvelope } from "./records.ts";
import type { EnqueueInput } from "./types.ts";

/** CR, LF, NUL and angle brackets never belong in an envelope address (RFC 5321 §4.1.2). */
const BAD_ADDRESS_CHARS = /[\r\n\0<>]/;

export function buildEnvelope(id: string, input: EnqueueInput, arrivedAt: number): StoredEnvelope {
  if (input.recipients.length === 0) throw new InvalidEnvelopeError("no recipients");
  if (BAD_ADDRESS_CHARS.test(input.from)) throw new InvalidEnvelopeError("bad sender address");
  if (input.from !== "" && domainOf(input.from) === "") {
    throw new InvalidEnvelopeError("sender address without a domain");
  }
  for (const r of input.recipients) {
    if (BAD_ADDRESS_CHARS.test(r.address) || domainOf(r.address) === "") {
      throw new InvalidEnvelopeError(`bad recipient address ${JSON.stringify(r.address)}`);
    }
    if (r.orcpt !== undefined && /[\r\n\0]/.test(r.orcpt)) {
      throw new InvalidEnvelopeError("bad ORCPT");
    }
  }
  if (input.dsn?.envid !== undefined && /[\r\n\0]/.test(input.dsn.envid)) {
    throw new InvalidEnvelopeError("bad ENVID");
  }
  return {
    v: 1,
    id,
    from: input.from,
    recipients: input.recipients.map((r) => ({
      address: r.address,
      ...(r.notify === undefined || r.notify.length === 0
        ? {}
        : { notify: r.notify === "never" ? ("never" as const) : [...r.notify] }),
      ...(r.orcpt === undefined ? {} : { orcpt: r.orcpt }),
    })),
    ...(input.dsn ? { dsn: { ...input.dsn } } : {}),
    origin: { ...input.origin },
    ...(input.requireTls ? { requireTls: true } : {}),
    ...(input.smtpUtf8 ? { smtpUtf8: true } : {}),
    ...(input.eightBitMime ? { eightBitMime: true } : {}),
    arrivedAt,
    size: input.raw.byteLength,
  };
}

/** The domain of an address, lower case, without a trailing dot; "" when there is none. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at === -1
    ? ""
    : address
        .slice(at + 1)
        .replace(/\.$/, "")
        .toLowerCase();
}
