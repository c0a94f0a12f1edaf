/**
 * `tls.mode: acme`: a certificate from an ACME CA (Let's Encrypt by default), proved with DNS-01
 * challenges that lego writes into Cloudflare. DNS-01 needs no inbound port 80, so it works before
 * the mail host runs and for names (mta-sts, autoconfig) that may point elsewhere at first.
 *
 * Renewal: the acme provider compares the certificate's expiry with `minDaysRemaining` while it
 * computes the diff, so any `pulumi preview` shows, and any `pulumi up` performs, the renewal once
 * fewer days are left. Something must run `pulumi up` that often: the workflow on main also runs
 * weekly for that reason.
 */
import * as pulumi from "@pulumi/pulumi";
import * as acme from "@pulumiverse/acme";
import * as tls from "@pulumi/tls";
import type { TlsConfig } from "../../stacks/schema/tls.ts";
import { subjectCommonName } from "./certificate-names.ts";
import {
  acmeDirectoryUrl,
  acmeKeyType,
  privateKeyArgs,
  type KeyAlgorithm,
} from "./certificate-policy.ts";
import type { CertificateMaterial } from "./material.ts";

export type AcmeConfig = Extract<TlsConfig, { mode: "acme" }>;

export interface AcmeOptions {
  readonly names: readonly string[];
  readonly config: AcmeConfig;
  readonly keyAlgorithm: KeyAlgorithm;
  /** A Cloudflare API token allowed to edit the zones' DNS records; already a secret. */
  readonly cloudflareApiToken: pulumi.Output<string>;
}

/**
 * Where the Cloudflare token comes from: the component's argument, else the stack secret
 * `cloudflare:apiToken` (the one the Cloudflare provider reads too), else CLOUDFLARE_API_TOKEN
 * (the provider's own fallback, and what the workflows set). Always handed on as a secret.
 */
export function resolveCloudflareApiToken(
  explicit: pulumi.Input<string> | undefined,
  env: NodeJS.ProcessEnv = process.env,
): pulumi.Output<string> {
  if (explicit !== undefined) return pulumi.secret(explicit);
  const fromConfig = new pulumi.Config("cloudflare").getSecret("apiToken");
  if (fromConfig !== undefined) return fromConfig;
  const fromEnv = env["CLOUDFLARE_API_TOKEN"];
  if (fromEnv !== undefined && fromEnv !== "") return pulumi.secret(fromEnv);
  throw new pulumi.RunError(
    "mailstack:tls.mode is acme, which answers DNS-01 challenges through Cloudflare, but no Cloudflare API token was found: " +
      "run `pulumi config set --secret cloudflare:apiToken <token>` or set CLOUDFLARE_API_TOKEN",
  );
}

export function declareAcme(
  parent: pulumi.ComponentResource,
  name: string,
  options: AcmeOptions,
): CertificateMaterial {
  const directoryUrl = acmeDirectoryUrl(options.config.server);
  // The directory URL is provider configuration, so account and certificate share one provider.
  const provider = new acme.Provider(`${name}-acme`, { serverUrl: directoryUrl }, { parent });
  // Moving from staging to production changes provider config only, which need not replace
  // what the old directory issued; the trigger makes it replace the account and certificate.
  const opts = { parent, provider, replacementTrigger: directoryUrl };

  // The account key is never the certificate key (the provider's own advice): losing one must
  // not compromise the other.
  const accountKey = new tls.PrivateKey(`${name}-account-key`, privateKeyArgs("ecdsaP256"), {
    parent,
  });
  const registration = new acme.Registration(
    `${name}-account`,
    { accountKeyPem: accountKey.privateKeyPem, emailAddress: options.config.email },
    opts,
  );

  const [first = "", ...rest] = options.names;
  const commonName = subjectCommonName(first);
  const certificate = new acme.Certificate(
    `${name}-cert`,
    {
      // Taken from the registration, not the key, so the account exists before the order.
      accountKeyPem: registration.accountKeyPem,
      ...(commonName === undefined
        ? { subjectAlternativeNames: [...options.names] }
        : { commonName, subjectAlternativeNames: rest }),
      keyType: acmeKeyType(options.keyAlgorithm),
      minDaysRemaining: options.config.renewDays,
      dnsChallenges: [
        { provider: "cloudflare", config: { CF_DNS_API_TOKEN: options.cloudflareApiToken } },
      ],
    },
    opts,
  );

  return {
    certificatePem: certificate.certificatePem,
    chainPem: certificate.issuerPem,
    privateKeyPem: pulumi.secret(certificate.privateKeyPem),
    caCertificatePem: pulumi.output(undefined),
    notAfter: certificate.certificateNotAfter,
  };
}
