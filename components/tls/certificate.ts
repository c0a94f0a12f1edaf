/**
 * The mail host's TLS certificate, whichever way `mailstack:tls` says to get it:
 *
 *   selfSigned  a stack CA issues it (self-signed.ts)
 *   acme        ACME DNS-01 through Cloudflare (acme.ts)
 *   files       read from files on the deploying machine (pem-files.ts)
 *
 * Every mode exposes the same outputs, so the servers (part 2) do not care which one made the
 * certificate. The private key is only ever a secret output.
 */
import * as pulumi from "@pulumi/pulumi";
import type { TlsConfig } from "../../stacks/schema/tls.ts";
import { declareAcme, resolveCloudflareApiToken, type AcmeConfig } from "./acme.ts";
import { certificateNames } from "./certificate-names.ts";
import { DEFAULT_KEY_ALGORITHM, joinPem, type KeyAlgorithm } from "./certificate-policy.ts";
import type { CertificateMaterial } from "./material.ts";
import { readCertificateFiles, type PemFiles } from "./pem-files.ts";
import { declareSelfSigned } from "./self-signed.ts";

export { certificateNames } from "./certificate-names.ts";
export type { KeyAlgorithm } from "./certificate-policy.ts";
export { TlsFileError } from "./pem-files.ts";

export const CERTIFICATE_TYPE = "mailstack:tls:Certificate";

export interface CertificateArgs {
  /** The parsed `mailstack:tls` config. */
  readonly tls: TlsConfig;
  /** The mail host's name (`mailstack:hostname`): the first name and the subject CN. */
  readonly hostname: string;
  /** The mail domains; each adds `mta-sts.<domain>` and `autoconfig.<domain>` to the names. */
  readonly domains: readonly string[];
  /** The server key's algorithm. Default `ecdsaP256` (see certificate-policy.ts for why). */
  readonly keyAlgorithm?: KeyAlgorithm;
  /** acme mode only. */
  readonly cloudflare?: {
    /**
     * A Cloudflare API token with Zone:DNS:Edit and Zone:Zone:Read on the mail domains' zones,
     * for the DNS-01 challenges. Default: the stack secret `cloudflare:apiToken`, else the
     * CLOUDFLARE_API_TOKEN environment variable.
     */
    readonly apiToken?: pulumi.Input<string>;
  };
  /** files mode only: where relative paths start. Default the working directory (project root). */
  readonly baseDir?: string;
}

export class Certificate extends pulumi.ComponentResource {
  /** The subjectAltName DNS names, the host name first. */
  public readonly names: readonly string[];
  /** The leaf certificate, PEM. */
  public readonly certificatePem: pulumi.Output<string>;
  /** Intermediates (acme, files) or the stack CA (selfSigned), PEM; may be empty for files. */
  public readonly chainPem: pulumi.Output<string>;
  /** Leaf then chain: what a server presents. */
  public readonly fullChainPem: pulumi.Output<string>;
  /** The leaf's private key, PEM. Always secret. */
  public readonly privateKeyPem: pulumi.Output<string>;
  /** The CA clients must trust (selfSigned only; undefined otherwise). */
  public readonly caCertificatePem: pulumi.Output<string | undefined>;
  /** The leaf's expiry (RFC 3339). */
  public readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: CertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    // Everything that can fail on bad input fails here, before the component is registered.
    const names = certificateNames(args.hostname, args.domains);
    const keyAlgorithm = args.keyAlgorithm ?? DEFAULT_KEY_ALGORITHM;
    const source = prepare(args, names);

    super(CERTIFICATE_TYPE, name, {}, opts);
    this.names = names;

    let material: CertificateMaterial;
    switch (source.mode) {
      case "selfSigned":
        material = declareSelfSigned(this, name, {
          names,
          validityDays: source.validityDays,
          keyAlgorithm,
        });
        break;
      case "acme":
        material = declareAcme(this, name, {
          names,
          config: source.config,
          keyAlgorithm,
          cloudflareApiToken: source.cloudflareApiToken,
        });
        break;
      case "files":
        material = fromFiles(source.files);
        for (const warning of source.files.warnings) void pulumi.log.warn(warning, this);
        break;
    }

    this.certificatePem = material.certificatePem;
    this.chainPem = material.chainPem;
    this.fullChainPem = pulumi
      .all([material.certificatePem, material.chainPem])
      .apply(([leaf, chain]) => joinPem(leaf, chain));
    this.privateKeyPem = pulumi.secret(material.privateKeyPem);
    this.caCertificatePem = material.caCertificatePem;
    this.notAfter = material.notAfter;

    this.registerOutputs({
      names: this.names,
      certificatePem: this.certificatePem,
      chainPem: this.chainPem,
      fullChainPem: this.fullChainPem,
      privateKeyPem: this.privateKeyPem,
      caCertificatePem: this.caCertificatePem,
      notAfter: this.notAfter,
    });
  }
}

/** What each mode needs, resolved (files read, token found) before any resource exists. */
type Source =
  | { readonly mode: "selfSigned"; readonly validityDays: number }
  | {
      readonly mode: "acme";
      readonly config: AcmeConfig;
      readonly cloudflareApiToken: pulumi.Output<string>;
    }
  | { readonly mode: "files"; readonly files: PemFiles };

function prepare(args: CertificateArgs, names: readonly string[]): Source {
  const tls = args.tls;
  switch (tls.mode) {
    case "selfSigned":
      return { mode: "selfSigned", validityDays: tls.validityDays };
    case "acme":
      return {
        mode: "acme",
        config: tls,
        cloudflareApiToken: resolveCloudflareApiToken(args.cloudflare?.apiToken),
      };
    case "files":
      return {
        mode: "files",
        files: readCertificateFiles(tls, { baseDir: args.baseDir ?? process.cwd(), names }),
      };
  }
}

function fromFiles(files: PemFiles): CertificateMaterial {
  return {
    certificatePem: pulumi.output(files.certificatePem),
    chainPem: pulumi.output(files.chainPem),
    privateKeyPem: pulumi.secret(files.privateKeyPem),
    caCertificatePem: pulumi.output(undefined),
    notAfter: pulumi.output(files.notAfter),
  };
}
