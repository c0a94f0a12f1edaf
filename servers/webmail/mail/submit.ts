/**
 * Sending as the user: the message is composed here, submitted on 587 with STARTTLS (or 465) and
 * the user's own credentials, exactly as a desktop client would, so the MTA applies the same
 * rules (the sender must be the user's, DKIM signing, rate limits).
 */
import nodemailer from "nodemailer";
import MailComposer from "nodemailer/lib/mail-composer";
import type Mail from "nodemailer/lib/mailer";
import type { Upstream } from "../config.ts";
import { ApiError } from "../errors.ts";

export interface Draft {
  /** The user's address, with their display name when they gave one. */
  readonly from: string | { readonly name: string; readonly address: string };
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly bcc: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly inReplyTo?: string | undefined;
  readonly references?: string | undefined;
  readonly attachments: readonly {
    readonly filename: string;
    readonly contentType: string;
    readonly content: Buffer;
  }[];
}

/** The RFC 5322 message; `keepBcc` for a saved draft, which must remember its Bcc. */
export function composeMessage(draft: Draft, options: { keepBcc: boolean }): Promise<Buffer> {
  const mail: Mail.Options = {
    from: typeof draft.from === "string" ? draft.from : { ...draft.from },
    to: [...draft.to],
    cc: [...draft.cc],
    bcc: [...draft.bcc],
    subject: draft.subject,
    text: draft.text,
    ...(draft.inReplyTo ? { inReplyTo: draft.inReplyTo } : {}),
    ...(draft.references ? { references: draft.references } : {}),
    attachments: draft.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content,
    })),
  };
  const node = new MailComposer(mail).compile();
  node.keepBcc = options.keepBcc;
  return node.build();
}

export interface SubmissionSettings {
  readonly upstream: Upstream;
  readonly ca: string | undefined;
}

/** Submits `raw` for the envelope; SEND_FAILED with the server's reply when it refuses. */
export async function submit(
  settings: SubmissionSettings,
  credentials: { readonly user: string; readonly pass: string },
  envelope: { readonly from: string; readonly to: readonly string[] },
  raw: Buffer,
): Promise<void> {
  const { upstream, ca } = settings;
  const transport = nodemailer.createTransport({
    host: upstream.host,
    port: upstream.port,
    secure: upstream.tls === "implicit",
    // Credentials never cross without TLS.
    requireTLS: upstream.tls === "starttls",
    tls: {
      ...(ca === undefined ? {} : { ca }),
      ...(upstream.servername === undefined ? {} : { servername: upstream.servername }),
      minVersion: "TLSv1.2",
    },
    auth: { user: credentials.user, pass: credentials.pass },
  });
  try {
    await transport.sendMail({ envelope: { from: envelope.from, to: [...envelope.to] }, raw });
  } catch (error) {
    const response = (error as { response?: string }).response;
    throw new ApiError("SEND_FAILED", response ? `The server said: ${response}` : undefined);
  } finally {
    transport.close();
  }
}
