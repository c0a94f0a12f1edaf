/**
 * A user's own password change against a real slapd, beyond the shared suite: what is stored
 * (our argon2id hash, not slapd's), and what the ACL (the same as images/directory's) lets a
 * user do: replace their own password, but not read it, and not touch anyone else's.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Attribute, Change, Client } from "ldapts";
import { fixtureDomains, fixtureUsers } from "../../../test/fixtures/directory.ts";
import { startSlapd, type Slapd } from "../../../test/helpers/slapd.ts";
import { openLdapDirectory } from "./ldap-directory.ts";
import { userDN } from "./ldap-entries.ts";

let slapd: Slapd;
before(async () => {
  slapd = await startSlapd();
});
after(async () => {
  await slapd?.cleanup();
});

const [alice, bob] = fixtureUsers as [(typeof fixtureUsers)[0], (typeof fixtureUsers)[0]];
const client = { remoteAddress: "192.0.2.20" };

async function as<T>(dn: string, password: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ url: slapd.url, timeout: 5000, connectTimeout: 5000 });
  await c.bind(dn, password);
  try {
    return await fn(c);
  } finally {
    await c.unbind();
  }
}

describe("ldap: a user's own password", () => {
  it("stores an {ARGON2} argon2id hash made by us", async () => {
    const d = openLdapDirectory({
      url: slapd.url,
      baseDN: slapd.baseDN,
      bindDN: slapd.bindDN,
      bindPassword: slapd.bindPassword,
      domains: fixtureDomains,
      failureFloorMs: 0,
    });
    try {
      const changed = await d.changePassword(
        alice.address,
        alice.password,
        "alice's brand new passphrase",
        client,
      );
      assert.deepEqual(changed, { ok: true });
    } finally {
      await d.close();
    }
    const stored = await as(slapd.rootDN, slapd.rootPassword, async (c) => {
      const { searchEntries } = await c.search(userDN(slapd.baseDN, alice.uid), {
        scope: "base",
        attributes: ["userPassword"],
      });
      return String(searchEntries[0]?.["userPassword"]);
    });
    assert.match(stored, /^\{ARGON2\}\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it("lets a user replace but not read their password, and not touch another's", async () => {
    const aliceDN = userDN(slapd.baseDN, alice.uid);
    const bobDN = userDN(slapd.baseDN, bob.uid);
    await as(aliceDN, "alice's brand new passphrase", async (c) => {
      const own = await c.search(aliceDN, { scope: "base", attributes: ["userPassword", "mail"] });
      assert.equal(own.searchEntries[0]?.["mail"], alice.address);
      assert.deepEqual(own.searchEntries[0]?.["userPassword"], []);
      const replace = (dn: string) =>
        c.modify(
          dn,
          new Change({
            operation: "replace",
            modification: new Attribute({ type: "userPassword", values: ["{CRYPT}x"] }),
          }),
        );
      // Code 50: insufficient access rights.
      await assert.rejects(replace(bobDN), (e: unknown) => (e as { code?: number }).code === 50);
      // Nor another attribute of their own entry.
      await assert.rejects(
        c.modify(
          aliceDN,
          new Change({
            operation: "replace",
            modification: new Attribute({ type: "mail", values: ["ceo@example.test"] }),
          }),
        ),
        (e: unknown) => (e as { code?: number }).code === 50,
      );
    });
    // Bob's password still works.
    await as(bobDN, bob.password, () => Promise.resolve());
  });
});
