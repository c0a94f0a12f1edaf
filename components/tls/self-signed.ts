/**
 * `tls.mode: selfSigned`: the stack makes its own CA and issues the server certificate with it.
 * Clients (and the developer's browser) trust the CA once; the server certificate can then be
 * renewed by `pulumi up` without anyone re-trusting anything. Both live in the stack state only.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { subjectCommonName } from "./certificate-names.ts";
import {
  CA_ALLOWED_USES,
  caValidityDays,
  earlyRenewalHours,
  privateKeyArgs,
  serverAllowedUses,
  validityHours,
  type KeyAlgorithm,
} from "./certificate-policy.ts";
import type { CertificateMaterial } from "./material.ts";

export interface SelfSignedOptions {
  readonly names: readonly string[];
  readonly validityDays: number;
  readonly keyAlgorithm: KeyAlgorithm;
}

export function declareSelfSigned(
  parent: pulumi.ComponentResource,
  name: string,
  options: SelfSignedOptions,
): CertificateMaterial {
  const opts = { parent };
  const [hostname = ""] = options.names;

  // The CA key is ECDSA whatever the server key is: only our own clients ever verify with it.
  const caKey = new tls.PrivateKey(`${name}-ca-key`, privateKeyArgs("ecdsaP256"), opts);
  const caDays = caValidityDays(options.validityDays);
  const ca = new tls.SelfSignedCert(
    `${name}-ca`,
    {
      privateKeyPem: caKey.privateKeyPem,
      isCaCertificate: true,
      allowedUses: [...CA_ALLOWED_USES],
      // CN capped at 64 characters (RFC 5280); the host name says which stack the CA belongs to.
      subject: {
        organization: "mailstack",
        commonName: `mailstack CA ${hostname}`.slice(0, 64).trim(),
      },
      validityPeriodHours: validityHours(caDays),
      earlyRenewalHours: earlyRenewalHours(caDays),
      // OpenSSL's strict chain checks (Python 3.13's default) want both key identifiers.
      setSubjectKeyId: true,
      setAuthorityKeyId: true,
    },
    opts,
  );

  const key = new tls.PrivateKey(`${name}-key`, privateKeyArgs(options.keyAlgorithm), opts);
  const commonName = subjectCommonName(hostname);
  const request = new tls.CertRequest(
    `${name}-csr`,
    {
      privateKeyPem: key.privateKeyPem,
      dnsNames: [...options.names],
      ...(commonName === undefined ? {} : { subject: { commonName } }),
    },
    opts,
  );
  const certificate = new tls.LocallySignedCert(
    `${name}-cert`,
    {
      certRequestPem: request.certRequestPem,
      caPrivateKeyPem: caKey.privateKeyPem,
      caCertPem: ca.certPem,
      allowedUses: serverAllowedUses(options.keyAlgorithm),
      validityPeriodHours: validityHours(options.validityDays),
      // Within this window `pulumi up` replaces the certificate (and the servers pick it up).
      earlyRenewalHours: earlyRenewalHours(options.validityDays),
      setSubjectKeyId: true,
    },
    opts,
  );

  return {
    certificatePem: certificate.certPem,
    // The CA travels in the chain too: clients that were given the CA file find their anchor
    // either way, and the local runner's certificates are laid out the same.
    chainPem: ca.certPem,
    privateKeyPem: pulumi.secret(key.privateKeyPem),
    caCertificatePem: ca.certPem,
    notAfter: certificate.validityEndTime,
  };
}
