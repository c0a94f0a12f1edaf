/**
 * A password the user changed themselves (the webmail's password change: a bind as the user and
 * a replace of their own userPassword, through the servers' LDAP directory) survives the next
 * `pulumi up`, a refresh, and updates that change other things; only a new password or
 * passwordHash in the config replaces it. Against a real slapd, calling the dynamic provider's
 * methods as the Pulumi engine would.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { openLdapDirectory } from "../../servers/shared/directory/ldap-directory.ts";
import { hashPassword } from "../../servers/shared/directory/passwords.ts";
import { parseStackConfig } from "../../stacks/load.ts";
import { startSlapd, type Slapd } from "../../test/helpers/slapd.ts";
import { ldapSyncProvider, type LdapSyncInputs } from "./ldap-sync-provider.ts";
import { syncInputs } from "./testing/sync-inputs.ts";

let slapd: Slapd;
before(async () => {
  slapd = await startSlapd();
});
after(async () => {
  await slapd?.cleanup();
});

const client = { remoteAddress: "192.0.2.30" };

function inputs(
  dana: { name: string; passwordHash: string },
  erinPassword: string,
): LdapSyncInputs {
  const config = parseStackConfig(
    {
      hostname: "mail.stack.test",
      domains: [{ name: "stack.test" }],
      users: [
        { address: "dana@stack.test", name: dana.name, passwordHash: dana.passwordHash },
        { address: "erin@stack.test", name: "Erin Stack", password: erinPassword },
      ],
    },
    "test",
  );
  return syncInputs(slapd, config, "service-secret");
}

/** The servers' directory, bound as the test slapd's service account. */
async function withDirectory<T>(
  fn: (d: ReturnType<typeof openLdapDirectory>) => Promise<T>,
): Promise<T> {
  const d = openLdapDirectory({
    url: slapd.url,
    baseDN: slapd.baseDN,
    bindDN: slapd.bindDN,
    bindPassword: slapd.bindPassword,
    domains: ["stack.test"],
    failureFloorMs: 0,
  });
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

const logsIn = (address: string, password: string) =>
  withDirectory(async (d) => (await d.authenticate(address, password, client)).ok);

it("keeps the users' own passwords until the config's password or hash changes", async () => {
  const danaHash = await hashPassword("dana-config-password");
  const first = inputs({ name: "Dana Stack", passwordHash: danaHash }, "erin-config-password");
  let state = (await ldapSyncProvider.create(first)).outs;

  await withDirectory(async (d) => {
    for (const [address, current, own] of [
      ["dana@stack.test", "dana-config-password", "dana chose this herself"],
      ["erin@stack.test", "erin-config-password", "erin chose this herself"],
    ] as const) {
      assert.deepEqual(await d.changePassword(address, current, own, client), { ok: true });
    }
  });

  // The same config again, a refresh, and an update that renames Dana: nothing reverts them.
  const same = inputs({ name: "Dana Stack", passwordHash: danaHash }, "erin-config-password");
  assert.equal(
    (await ldapSyncProvider.diff(state.ownedBase, state, same)).changes,
    false,
    "the same config is no change",
  );
  state = (await ldapSyncProvider.update(state.ownedBase, state, same)).outs;
  state = (await ldapSyncProvider.read(state.ownedBase, state)).props;
  const renamed = inputs({ name: "Dana Renamed", passwordHash: danaHash }, "erin-config-password");
  state = (await ldapSyncProvider.update(state.ownedBase, state, renamed)).outs;
  assert.equal(await logsIn("dana@stack.test", "dana chose this herself"), true);
  assert.equal(await logsIn("erin@stack.test", "erin chose this herself"), true);
  assert.equal(await logsIn("dana@stack.test", "dana-config-password"), false);

  // A new hash for Dana and a new password for Erin in the config: the config wins.
  const reset = inputs(
    { name: "Dana Renamed", passwordHash: await hashPassword("dana-reset-by-admin") },
    "erin-reset-by-admin",
  );
  state = (await ldapSyncProvider.update(state.ownedBase, state, reset)).outs;
  assert.equal(await logsIn("dana@stack.test", "dana-reset-by-admin"), true);
  assert.equal(await logsIn("erin@stack.test", "erin-reset-by-admin"), true);
  assert.equal(await logsIn("dana@stack.test", "dana chose this herself"), false);
  assert.equal(await logsIn("erin@stack.test", "erin chose this herself"), false);
  await ldapSyncProvider.delete(state.ownedBase, state);
});
