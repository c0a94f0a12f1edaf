/**
 * The whole stack as one component: DKIM keys, the TLS certificate and the DNS records of every
 * mail domain, wired so the public halves of the keys flow into DNS in the same `pulumi up`; the
 * server containers on the Docker host (their files filled with the keys and certificate made
 * here), and the directory's users, aliases and groups reconciled into the directory container.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../stacks/schema.ts";
import { DkimKeys } from "./dkim/dkim-keys.ts";
import { DnsRecords } from "./dns/dns-records.ts";
import { mtaStsPolicy } from "./dns/records.ts";
import type { DnsRecord } from "./dns/types.ts";
import { containerSpecs, type StackContainers } from "./containers/container-specs.ts";
import { endpoints, type Endpoints } from "./containers/endpoints.ts";
import type { MaterialName } from "./containers/runtime-configs.ts";
import { ServerContainers } from "./containers/server-containers.ts";
import { directoryEntries } from "./directory/directory-entries.ts";
import { GeneratedSecret } from "./directory/generated-secret.ts";
import { LdapSync } from "./directory/ldap-sync.ts";
import { Certificate } from "./tls/certificate.ts";

export const MAIL_STACK_TYPE = "mailstack:index:MailStack";

export interface MailStackArgs {
  /** The parsed stack config (stacks/schema.ts). */
  readonly config: StackConfig;
  /** Where relative paths of `tls.mode: files` start. Default the working directory. */
  readonly baseDir?: string;
  /** The repository, whose Dockerfiles build the images. Default the working directory. */
  readonly repoRoot?: string;
}

/** One DKIM selector as the stack reports it: what is published and what signs. */
export interface DkimSelectorSummary {
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: string;
  readonly state: string;
  readonly signing: boolean;
}

export class MailStack extends pulumi.ComponentResource {
  readonly dkim: DkimKeys;
  readonly tls: Certificate;
  readonly dns: DnsRecords;
  /** Every DNS record, with the real DKIM keys. */
  readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  readonly dkimSelectors: readonly DkimSelectorSummary[];
  /** The MTA-STS policy file of each domain, served at https://mta-sts.<domain>/.well-known/mta-sts.txt. */
  readonly mtaStsPolicies: Readonly<Record<string, string>>;
  /** What runs on the Docker host (container-specs.ts). */
  readonly containerSpecs: StackContainers;
  readonly containers: ServerContainers;
  /** The directory's entries, reconciled on every `pulumi up`. */
  readonly directoryEntries: LdapSync;
  /** Where clients connect. */
  readonly endpoints: Endpoints;

  constructor(name: string, args: MailStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MAIL_STACK_TYPE, name, {}, opts);
    const { config } = args;
    const parent = { parent: this };

    this.dkim = new DkimKeys(`${name}-dkim`, { domains: config.domains }, parent);
    this.tls = new Certificate(
      `${name}-tls`,
      {
        tls: config.tls,
        hostname: config.hostname,
        domains: config.domains.map((d) => d.name),
        ...(args.baseDir === undefined ? {} : { baseDir: args.baseDir }),
      },
      parent,
    );
    this.dns = new DnsRecords(
      `${name}-dns`,
      {
        config,
        dkimKeys: this.dkim.publicKeys.map((k) => ({
          domain: k.domain,
          selector: k.selector,
          algorithm: k.algorithm,
          publicKey: k.publicKey,
        })),
      },
      parent,
    );

    this.dnsRecords = this.dns.records;
    this.dkimSelectors = config.domains.flatMap((d) =>
      d.dkim.map((s) => ({
        domain: d.name,
        selector: s.selector,
        algorithm: s.algorithm,
        state: s.state,
        signing: s.state === "active",
      })),
    );
    this.mtaStsPolicies = Object.fromEntries(
      config.domains.map((d) => [d.name, mtaStsPolicy(config, d.name)]),
    );

    this.containerSpecs = containerSpecs(config);
    const adminPassword = new GeneratedSecret(`${name}-directory-admin-password`, {}, parent);
    const servicePassword = new GeneratedSecret(`${name}-directory-service-password`, {}, parent);
    const materials: Partial<Record<MaterialName, pulumi.Input<string>>> = {
      "tls-key": this.tls.privateKeyPem,
      "tls-cert": this.tls.fullChainPem,
      "ca-cert": this.tls.caCertificatePem.apply((pem) => pem ?? ""),
      "directory-admin-password": adminPassword.value,
      "directory-service-password": servicePassword.value,
      ...Object.fromEntries(
        this.dkim.signingKeys.map((k) => [`dkim:${k.domain}:${k.selector}`, k.privateKeyPem]),
      ),
    };
    this.containers = new ServerContainers(
      `${name}-containers`,
      {
        specs: this.containerSpecs,
        host: config.docker.host,
        materials,
        ...(args.repoRoot === undefined ? {} : { repoRoot: args.repoRoot }),
      },
      parent,
    );

    const directory = this.containerSpecs.directory;
    const desired = directoryEntries(config, directory.baseDN);
    this.directoryEntries = new LdapSync(
      `${name}-directory-entries`,
      {
        url: directory.adminUrl,
        bindDN: directory.adminDN,
        bindPassword: adminPassword.value,
        // The directory answers nothing in clear; its certificate is the stack's.
        startTls: this.tls.caCertificatePem.apply((ca) => ({
          servername: config.hostname,
          ...(ca === undefined ? {} : { ca }),
        })),
        ownedBase: desired.ownedBase,
        entries: desired.entries,
        passwords: servicePassword.value.apply((password) => ({
          ...desired.passwords,
          [desired.serviceDN]: { password },
        })),
      },
      { parent: this, dependsOn: Object.values(this.containers.containers) },
    );
    this.endpoints = endpoints(config);

    this.registerOutputs({
      dnsRecords: this.dnsRecords,
      dkimSelectors: this.dkimSelectors,
      mtaStsPolicies: this.mtaStsPolicies,
      caCertificatePem: this.tls.caCertificatePem,
      endpoints: this.endpoints,
    });
  }
}
