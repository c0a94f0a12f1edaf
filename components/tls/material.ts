/** What each TLS mode hands back to the Certificate component. */
import type * as pulumi from "@pulumi/pulumi";

export interface CertificateMaterial {
  /** The leaf certificate, PEM. */
  readonly certificatePem: pulumi.Output<string>;
  /** The certificates between the leaf and a trust anchor, PEM (may be empty). */
  readonly chainPem: pulumi.Output<string>;
  /** The leaf's private key, PEM; always a secret output. */
  readonly privateKeyPem: pulumi.Output<string>;
  /** The CA clients must trust, when the stack made it (selfSigned). */
  readonly caCertificatePem: pulumi.Output<string | undefined>;
  /** The leaf's expiry, RFC 3339. */
  readonly notAfter: pulumi.Output<string>;
}
