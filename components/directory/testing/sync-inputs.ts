/** The provider's inputs for a test slapd: what `pulumi up` would pass for a config, as its root. */
import type { Slapd } from "../../../test/helpers/slapd.ts";
import { directoryEntries, type DirectoryConfig } from "../directory-entries.ts";
import type { LdapSyncInputs } from "../ldap-sync-provider.ts";

export function syncInputs(
  slapd: Slapd,
  config: DirectoryConfig,
  servicePassword: string,
): LdapSyncInputs {
  const desired = directoryEntries(config, slapd.baseDN);
  return {
    url: slapd.url,
    bindDN: slapd.rootDN,
    bindPassword: slapd.rootPassword,
    ownedBase: desired.ownedBase,
    entries: desired.entries,
    passwords: { ...desired.passwords, [desired.serviceDN]: { password: servicePassword } },
  };
}
