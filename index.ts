/**
 * The Pulumi program: one stack per environment, its config in stacks/Pulumi.<env>.yaml.
 * `pulumi up --stack <env>` declares and reconciles everything the mail domains need.
 */
import { MailStack } from "./components/mail-stack.ts";
import { readStackConfig } from "./stacks/pulumi-config.ts";

const stack = new MailStack("mailstack", {
  config: readStackConfig(),
  repoRoot: import.meta.dirname,
});

/** Every DNS record, with the real DKIM keys (published on Cloudflare, or to publish yourself). */
export const dnsRecords = stack.dnsRecords;
/** The DKIM selectors: which are published and which sign. */
export const dkimSelectors = stack.dkimSelectors;
/** The certificate's names and, for selfSigned stacks, the CA that clients must trust. */
export const certificateNames = stack.tls.names;
export const caCertificatePem = stack.tls.caCertificatePem;
export const certificateNotAfter = stack.tls.notAfter;
/** Where clients connect: SMTP, submission, IMAP, POP3 (when offered) and the webmail. */
export const endpoints = stack.endpoints;
export const webmailUrl = stack.endpoints.webmail;
/** The containers on the Docker host, by server. */
export const containers = stack.containerSpecs.containers.map((c) => c.name);
