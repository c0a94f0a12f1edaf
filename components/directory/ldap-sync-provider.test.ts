/**
 * The directory reconciliation against a real slapd (test/helpers/slapd.ts), by calling the
 * dynamic provider's methods as the Pulumi engine would: the first apply, changes to passwords,
 * aliases and groups, removal, entries it does not own, idempotence, and failures. What it
 * writes is read back through the servers' own LDAP backend, so the servers see what the stack
 * declares. Last, the provider is serialized as Pulumi ships it and run from that text.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { Attribute, Change, Client } from "ldapts";
import type { DirectoryBackend } from "../../servers/shared/directory/backend.ts";
import { createLdapBackend } from "../../servers/shared/directory/ldap-directory.ts";
import { hashPassword } from "../../servers/shared/directory/passwords.ts";
import { parseStackConfig } from "../../stacks/load.ts";
import { startSlapd, type Slapd } from "../../test/helpers/slapd.ts";
import { serviceAccountDN, type DirectoryConfig } from "./directory-entries.ts";
import {
  ldapSyncProvider,
  MARKER,
  type LdapSyncInputs,
  type LdapSyncState,
} from "./ldap-sync-provider.ts";
import { syncInputs } from "./testing/sync-inputs.ts";

const SERVICE_PASSWORD = "service-account-secret";
let slapd: Slapd;
let danaHash: string;

before(async () => {
  slapd = await startSlapd();
  danaHash = await hashPassword("dana-password-1");
});
after(async () => {
  await slapd?.cleanup();
});

interface Members {
  domains?: string[];
  users?: {
    address: string;
    name: string;
    password?: string;
    passwordHash?: string;
    quota?: string;
  }[];
  aliases?: { address: string; to: string }[];
  groups?: { address: string; name?: string; members: string[] }[];
}

function stackConfig(members: Members = {}): DirectoryConfig {
  return parseStackConfig(
    {
      hostname: "mail.stack.test",
      domains: [
        { name: "stack.test", catchAll: "dana@stack.test" },
        ...(members.domains ?? []).map((name) => ({ name })),
      ],
      users: members.users ?? [
        { address: "dana@stack.test", name: "Dana Stack", passwordHash: danaHash },
        { address: "erin@stack.test", name: "Erin Stack", password: "erin-password-1" },
      ],
      aliases: members.aliases ?? [
        { address: "postmaster@stack.test", to: "dana@stack.test" },
        { address: "staff@stack.test", to: "team@stack.test" },
      ],
      groups: members.groups ?? [
        {
          address: "team@stack.test",
          name: "Stack Team",
          members: ["dana@stack.test", "erin@stack.test"],
        },
      ],
    },
    "test",
  );
}

function inputs(config: DirectoryConfig = stackConfig()): LdapSyncInputs {
  return syncInputs(slapd, config, SERVICE_PASSWORD);
}

/** The servers' own view: the LDAP backend bound as the fixture's service account. */
function serversView(): DirectoryBackend {
  return createLdapBackend({
    url: slapd.url,
    baseDN: slapd.baseDN,
    bindDN: slapd.bindDN,
    bindPassword: slapd.bindPassword,
  });
}

async function withServers<T>(fn: (backend: DirectoryBackend) => Promise<T>): Promise<T> {
  const backend = serversView();
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ url: slapd.url });
  await client.bind(slapd.rootDN, slapd.rootPassword);
  try {
    return await fn(client);
  } finally {
    await client.unbind();
  }
}

/** Every entry of the database outside the stack's subtree, with every attribute, sorted. */
function foreignEntries(): Promise<string> {
  return admin(async (client) => {
    const { searchEntries } = await client.search(slapd.baseDN, {
      scope: "sub",
      attributes: ["*"],
    });
    const outside = searchEntries
      .filter((e) => !/ou=mailstack,/i.test(e.dn))
      .map((e) => JSON.stringify(e, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString() : v)));
    return outside.sort().join("\n");
  });
}

async function login(address: string, password: string): Promise<string> {
  return withServers(async (backend) => (await backend.checkPassword(address, password)).kind);
}

async function binds(dn: string, password: string): Promise<boolean> {
  const client = new Client({ url: slapd.url });
  try {
    await client.bind(dn, password);
    return true;
  } catch {
    return false;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

describe("directory reconciliation against slapd", () => {
  let state: LdapSyncState;
  let foreign: string;

  it("first apply: creates the subtree, the service account, users, aliases, groups, catch-all", async () => {
    foreign = await foreignEntries();
    const created = await ldapSyncProvider.create(inputs());
    state = created.outs;
    assert.equal(created.id, `ou=mailstack,${slapd.baseDN}`);
    // The subtree, three units, the service account, two users, one group.
    assert.deepEqual(state.lastApply, { added: 8, modified: 0, deleted: 0 });

    await withServers(async (backend) => {
      const dana = await backend.lookup("postmaster@stack.test");
      assert.equal(dana && "id" in dana ? dana.id : undefined, "dana@stack.test");
      assert.deepEqual(dana && "aliases" in dana ? dana.aliases : [], ["postmaster@stack.test"]);
      const team = await backend.lookup("staff@stack.test");
      assert.deepEqual(team && "members" in team ? [...team.members].sort() : [], [
        "dana@stack.test",
        "erin@stack.test",
      ]);
      const catchAll = await backend.catchAll("stack.test");
      assert.equal(catchAll?.address, "dana@stack.test");
    });
    assert.equal(await login("dana@stack.test", "dana-password-1"), "ok");
    assert.equal(await login("erin@stack.test", "erin-password-1"), "ok");
    assert.equal(await login("erin@stack.test", "wrong"), "wrong-password");
    assert.ok(await binds(serviceAccountDN(slapd.baseDN), SERVICE_PASSWORD));
    assert.equal(await foreignEntries(), foreign, "an entry outside the subtree changed");
  });

  it("stores hashes, never a plain password, in what it writes", async () => {
    const stored = await admin(async (client) => {
      const { searchEntries } = await client.search(`ou=mailstack,${slapd.baseDN}`, {
        scope: "sub",
        attributes: ["userPassword"],
      });
      return searchEntries.flatMap((e) => [e.userPassword].flat().map(String));
    });
    assert.equal(stored.length, 3);
    for (const value of stored) assert.match(value, /^\{ARGON2\}\$argon2id\$/);
    const plain = JSON.stringify(state.entries);
    for (const secret of ["erin-password-1", SERVICE_PASSWORD, "userPassword"]) {
      assert.ok(!plain.includes(secret), `${secret} appears in the entries`);
    }
  });

  it("is idempotent: same config, no diff, and an update changes nothing", async () => {
    const diff = await ldapSyncProvider.diff(state.ownedBase, state, inputs());
    assert.equal(diff.changes, false);
    const again = await ldapSyncProvider.update(state.ownedBase, state, inputs());
    assert.deepEqual(again.outs.lastApply, { added: 0, modified: 0, deleted: 0 });
    assert.deepEqual(again.outs.written, state.written);
    state = again.outs;
  });

  it("sets, changes and removes a user's quota, which the servers read", async () => {
    const withErinQuota = (quota?: string) =>
      inputs(
        stackConfig({
          users: [
            { address: "dana@stack.test", name: "Dana Stack", passwordHash: danaHash },
            {
              address: "erin@stack.test",
              name: "Erin Stack",
              password: "erin-password-1",
              ...(quota === undefined ? {} : { quota }),
            },
          ],
        }),
      );
    const erinQuota = () =>
      withServers(async (backend) => {
        const erin = await backend.lookup("erin@stack.test");
        return erin && "id" in erin ? erin.quotaBytes : "no such user";
      });
    for (const [quota, bytes] of [
      ["2MiB", 2 * 2 ** 20],
      ["1GB", 1e9],
    ] as const) {
      const next = await ldapSyncProvider.update(state.ownedBase, state, withErinQuota(quota));
      assert.deepEqual(next.outs.lastApply, { added: 0, modified: 1, deleted: 0 }, quota);
      assert.equal(await erinQuota(), bytes, quota);
      state = next.outs;
    }
    const removed = await ldapSyncProvider.update(state.ownedBase, state, withErinQuota());
    assert.deepEqual(removed.outs.lastApply, { added: 0, modified: 1, deleted: 0 });
    assert.equal(await erinQuota(), undefined);
    const classes = await admin(async (client) => {
      const { searchEntries } = await client.search(
        `uid=erin@stack.test,ou=people,ou=mailstack,${slapd.baseDN}`,
        { scope: "base", attributes: ["objectClass"] },
      );
      return [searchEntries[0]?.objectClass ?? []].flat().map(String);
    });
    assert.deepEqual(classes.sort(), ["inetLocalMailRecipient", "inetOrgPerson"]);
    state = removed.outs;
  });

  it("changes a password, a name and aliases; removes what the config dropped", async () => {
    const changed = inputs(
      stackConfig({
        users: [
          { address: "dana@stack.test", name: "Dana Renamed", passwordHash: danaHash },
          { address: "erin@stack.test", name: "Erin Stack", password: "erin-password-2" },
        ],
        aliases: [
          { address: "abuse@stack.test", to: "dana@stack.test" },
          { address: "staff@stack.test", to: "team@stack.test" },
        ],
      }),
    );
    assert.equal((await ldapSyncProvider.diff(state.ownedBase, state, changed)).changes, true);
    state = (await ldapSyncProvider.update(state.ownedBase, state, changed)).outs;
    assert.deepEqual(state.lastApply, { added: 0, modified: 2, deleted: 0 });
    assert.equal(await login("erin@stack.test", "erin-password-2"), "ok");
    assert.equal(await login("erin@stack.test", "erin-password-1"), "wrong-password");
    await withServers(async (backend) => {
      const dana = await backend.lookup("abuse@stack.test");
      assert.equal(dana && "displayName" in dana ? dana.displayName : "", "Dana Renamed");
      assert.equal(await backend.lookup("postmaster@stack.test"), undefined);
    });
    assert.equal(await foreignEntries(), foreign);
  });

  it("keeps a password the user changed in the directory until the config's changes", async () => {
    const erinDN = `uid=erin@stack.test,ou=people,ou=mailstack,${slapd.baseDN}`;
    const changedByUser = `{ARGON2}${await hashPassword("erin-own-choice")}`;
    await admin((client) =>
      client.modify(erinDN, [
        new Change({
          operation: "replace",
          modification: new Attribute({ type: "userPassword", values: [changedByUser] }),
        }),
      ]),
    );
    const same = { ...inputs(), passwords: state.passwords };
    state = (await ldapSyncProvider.update(state.ownedBase, state, same)).outs;
    assert.equal(await login("erin@stack.test", "erin-own-choice"), "ok");
    const reset = inputs(
      stackConfig({
        users: [
          { address: "dana@stack.test", name: "Dana Renamed", passwordHash: danaHash },
          { address: "erin@stack.test", name: "Erin Stack", password: "erin-password-3" },
        ],
      }),
    );
    state = (await ldapSyncProvider.update(state.ownedBase, state, reset)).outs;
    assert.equal(await login("erin@stack.test", "erin-password-3"), "ok");
    assert.equal(await login("erin@stack.test", "erin-own-choice"), "wrong-password");
  });

  it("removes a user, from the directory and from its groups; removes hand-made entries below it", async () => {
    await admin((client) =>
      client.add(`cn=by-hand,ou=groups,ou=mailstack,${slapd.baseDN}`, {
        objectClass: ["groupOfNames"],
        cn: "by-hand",
        member: slapd.rootDN,
      }),
    );
    const withoutErin = inputs(
      stackConfig({
        users: [{ address: "dana@stack.test", name: "Dana Renamed", passwordHash: danaHash }],
        groups: [{ address: "team@stack.test", name: "Stack Team", members: ["dana@stack.test"] }],
      }),
    );
    state = (await ldapSyncProvider.update(state.ownedBase, state, withoutErin)).outs;
    // The group loses erin; erin and the hand-made entry go.
    assert.deepEqual(state.lastApply, { added: 0, modified: 1, deleted: 2 });
    assert.equal(await login("erin@stack.test", "erin-password-3"), "no-such-user");
    await withServers(async (backend) => {
      const team = await backend.lookup("team@stack.test");
      assert.deepEqual(team && "members" in team ? team.members : [], ["dana@stack.test"]);
    });
    assert.equal(await foreignEntries(), foreign);
  });

  it("refuses an address that an entry outside its subtree already has, writing nothing", async () => {
    const before = state;
    const clash = inputs(
      stackConfig({
        domains: ["example.test"],
        users: [
          { address: "dana@stack.test", name: "Dana Renamed", passwordHash: danaHash },
          // The fixture's alice, outside the subtree, has this address as an alias.
          { address: "postmaster@example.test", name: "Impostor", passwordHash: danaHash },
        ],
        aliases: [],
        groups: [],
      }),
    );
    await assert.rejects(
      ldapSyncProvider.update(before.ownedBase, before, clash),
      /already use addresses of this stack: postmaster@example\.test \(uid=alice,ou=people,dc=mailstack,dc=test\)/,
    );
    const read = await ldapSyncProvider.read(before.ownedBase, before);
    assert.deepEqual(
      read.props.entries.map((e) => e.dn.toLowerCase()).sort(),
      before.entries.map((e) => e.dn.toLowerCase()).sort(),
    );
  });

  it("fails with a clear error when slapd is down or the password is wrong", async () => {
    await slapd.stop();
    try {
      await assert.rejects(
        ldapSyncProvider.update(state.ownedBase, state, inputs()),
        (error: Error) => {
          assert.match(error.message, new RegExp(`^directory ${slapd.url}: binding as cn=admin`));
          assert.match(error.message, /cannot reach the directory/);
          return true;
        },
      );
    } finally {
      await slapd.start();
    }
    // The test slapd has no certificate: asked for StartTLS, the provider binds not at all.
    await assert.rejects(
      ldapSyncProvider.create({ ...inputs(), startTls: { servername: "mail.stack.test" } }),
      /directory ldap:\/\/127\.0\.0\.1:\d+: starting TLS \(StartTLS\): /,
    );
    await assert.rejects(
      ldapSyncProvider.create({ ...inputs(), bindPassword: "not-the-password" }),
      /binding as cn=admin,dc=mailstack,dc=test: cn=admin,dc=mailstack,dc=test was refused \(invalid credentials\)/,
    );
  });

  it("delete removes the whole subtree and nothing else", async () => {
    await ldapSyncProvider.delete(state.ownedBase, state);
    const left = await admin(async (client) => {
      const { searchEntries } = await client.search(slapd.baseDN, { scope: "sub" });
      return searchEntries.filter((e) => /ou=mailstack,/i.test(e.dn)).length;
    });
    assert.equal(left, 0);
    assert.equal(await foreignEntries(), foreign);
    assert.equal(await login("dana@stack.test", "dana-password-1"), "no-such-user");
  });

  it("will not take over an existing subtree it did not mark", async () => {
    const ownedBase = `ou=mailstack,${slapd.baseDN}`;
    await admin((client) =>
      client.add(ownedBase, { objectClass: "organizationalUnit", ou: "mailstack" }),
    );
    try {
      await assert.rejects(ldapSyncProvider.create(inputs()), /is not marked as the stack's/);
    } finally {
      await admin((client) => client.del(ownedBase));
    }
    assert.ok(MARKER.length > 0);
  });

  it("works when serialized the way Pulumi ships a dynamic provider", async () => {
    const serialized = await pulumi.runtime.serializeFunction(() => ldapSyncProvider, {
      allowSecrets: true,
    });
    // The Pulumi dynamic provider host loads the text with require-from-string.
    const requireFromString = createRequire(
      createRequire(import.meta.url).resolve("@pulumi/pulumi"),
    )("require-from-string") as (code: string) => { handler: () => typeof ldapSyncProvider };
    const shipped = requireFromString(serialized.text).handler();
    assert.notEqual(shipped, ldapSyncProvider);
    const created = await shipped.create(inputs());
    assert.equal(created.outs.lastApply.added, 8);
    assert.equal(await login("erin@stack.test", "erin-password-1"), "ok");
    await shipped.delete(created.id, created.outs);
    assert.equal(await login("erin@stack.test", "erin-password-1"), "no-such-user");
  });
});
