/** The dynamic resource whose provider (ldap-sync-provider.ts) reconciles the stack's LDAP subtree. */
import * as pulumi from "@pulumi/pulumi";
import type { LdapEntry } from "../../servers/shared/directory/ldap-entries.ts";
import { ldapSyncProvider, type PasswordInput } from "./ldap-sync-provider.ts";

export const LDAP_SYNC_TYPE = "pulumi-nodejs:dynamic/mailstack:LdapSync";

export interface LdapSyncArgs {
  readonly url: pulumi.Input<string>;
  readonly bindDN: pulumi.Input<string>;
  readonly bindPassword: pulumi.Input<string>;
  readonly ownedBase: pulumi.Input<string>;
  readonly entries: pulumi.Input<readonly LdapEntry[]>;
  readonly passwords: pulumi.Input<Readonly<Record<string, PasswordInput>>>;
  /** Default 10000 ms per LDAP operation. */
  readonly timeoutMs?: number;
  /** StartTLS before binding: the CA to verify with (default the system's) and the name. */
  readonly startTls?: pulumi.Input<{ readonly ca?: string; readonly servername?: string }>;
}

export class LdapSync extends pulumi.dynamic.Resource {
  /** What the last `pulumi up` did to the directory. */
  declare readonly lastApply: pulumi.Output<{ added: number; modified: number; deleted: number }>;

  constructor(name: string, args: LdapSyncArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      ldapSyncProvider,
      name,
      {
        url: args.url,
        bindDN: args.bindDN,
        bindPassword: pulumi.secret(args.bindPassword),
        ownedBase: args.ownedBase,
        entries: args.entries,
        passwords: pulumi.secret(args.passwords),
        ...(args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs }),
        ...(args.startTls === undefined ? {} : { startTls: args.startTls }),
        written: undefined,
        lastApply: undefined,
      },
      { ...opts, additionalSecretOutputs: ["bindPassword", "passwords", "written"] },
      "mailstack",
      "LdapSync",
    );
  }
}
