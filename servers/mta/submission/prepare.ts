/**
 * Submission, the message itself (RFC 6409 §8): the From field must name the user's addresses
 * (and Sender too, when present), a missing Date or Message-ID is added, our Received line goes
 * on top, and the message is DKIM-signed with every active key of the From domain.
 *
 * Mail that leaves our domains has an 8-bit body converted to 7 bit before it is signed
 * (message/seven-bit.ts). A server on the way that does not offer 8BITMIME would need the
 * conversion (RFC 6152 §3), and a conversion after signing breaks the body hash (RFC 6376
 * §5.3 has signers convert first). Mail for our own domains keeps its 8-bit body: the MDA
 * takes 8BITMIME.
 */
import type { SMTPServerSession } from "smtp-server";
import type { User } from "../../shared/directory/types.ts";
import type { MtaContext } from "../context.ts";
import { signMessage } from "../dkim/sign.ts";
import { prependFields, splitMessage, valuesOf } from "../message/headers.ts";
import { toSevenBit } from "../message/seven-bit.ts";
import { newMessageId, receivedValue, rfc5322Date } from "../message/trace.ts";
import { stripUntrustedFields } from "../message/untrusted-fields.ts";
import { clientFault, REPLIES, withText } from "../replies.ts";
import { sessionTls } from "../tls-facts.ts";
import { fieldAddresses, ownsAddress } from "./ownership.ts";

export interface Prepared {
  readonly raw: Buffer;
  /** The selectors that signed; empty when the From domain has no key. */
  readonly dkim: readonly string[];
  /** The 8-bit body was converted to 7 bit. */
  readonly converted: boolean;
  readonly fromDomain: string;
}

export async function prepareSubmission(
  context: MtaContext,
  session: SMTPServerSession,
  user: User,
  received: Buffer,
  facts: {
    readonly id: string;
    readonly recipients: readonly string[];
    /** Some recipient is beyond our domains: convert an 8-bit body before signing. */
    readonly leavesOurDomains: boolean;
  },
): Promise<Prepared> {
  const { config, directory } = context;
  const { raw: cleaned } = stripUntrustedFields(received, config.hostname);
  const stripped = facts.leavesOurDomains ? toSevenBit(cleaned) : cleaned;
  const converted = stripped !== cleaned;
  const { fields } = splitMessage(stripped);

  // RFC 5322 §3.6: exactly one From; every address in it (and in Sender) must be the user's.
  const fromFields = valuesOf(fields, "from");
  const from = fromFields.length === 1 ? fieldAddresses(fromFields[0] ?? "") : [];
  const [first] = from;
  if (first === undefined) throw clientFault(REPLIES.fromMissing);
  for (const address of [...from, ...valuesOf(fields, "sender").flatMap(fieldAddresses)]) {
    if (!(await ownsAddress(directory, user, address, config.domains))) {
      throw clientFault(
        withText(REPLIES.fromNotOwned, `From header address <${address}> is not yours`),
      );
    }
  }

  // RFC 6409 §8.3 (Date) and §8.4 (Message-ID): an MSA may add them when the client did not.
  const now = new Date();
  const added: [string, string][] = [];
  if (valuesOf(fields, "date").length === 0) added.push(["Date", rfc5322Date(now)]);
  if (valuesOf(fields, "message-id").length === 0) {
    added.push(["Message-ID", newMessageId(config.hostname)]);
  }
  const completed = added.length > 0 ? prependFields(stripped, added) : stripped;

  const traced = prependFields(completed, [
    [
      "Received",
      receivedValue({
        helo: session.hostNameAppearsAs || "",
        remoteAddress: session.remoteAddress,
        hostname: config.hostname,
        id: facts.id,
        date: now,
        ehlo: session.openingCommand === "EHLO",
        tls: sessionTls(session),
        user: user.address,
        utf8: session.envelope.smtpUtf8 === true,
        recipients: facts.recipients,
      }),
    ],
  ]);

  const fromDomain = first.slice(first.lastIndexOf("@") + 1).toLowerCase();
  const keys = context.keyring.keysFor(fromDomain);
  const signed = await signMessage(traced, keys, now);
  const { log } = context.sessions.connection(session);
  if (signed.errors.length > 0)
    log.error({ errors: signed.errors, fromDomain }, "DKIM signing failed");
  if (keys.length === 0) log.warn({ fromDomain }, "no DKIM key for this domain: sent unsigned");
  if (converted) log.debug("8-bit body converted to 7 bit before signing");
  return { raw: signed.raw, dkim: signed.selectors, fromDomain, converted };
}
