import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadStackFile, parseStackConfig } from "../../stacks/load.ts";
import { baseDNForDomain, directoryEntries, serviceAccountDN } from "./directory-entries.ts";

const HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$pPK/62v35kWOad1Va3L/VQ$8jjqfNnqV0m0/lNeXxZKwatheewYJAtSban8FUVjpxE";

describe("directoryEntries", () => {
  it("builds the dev stack's subtree with the servers' entry builders", async () => {
    const config = await loadStackFile(
      new URL("../../stacks/Pulumi.dev.yaml", import.meta.url).pathname,
    );
    const base = baseDNForDomain(config.domains[0]?.name ?? "");
    assert.equal(base, "dc=dev,dc=example,dc=test");
    const { ownedBase, serviceDN, entries, passwords } = directoryEntries(config, base);
    assert.equal(ownedBase, `ou=mailstack,${base}`);
    assert.equal(serviceDN, serviceAccountDN(base));
    assert.deepEqual(
      entries.map((e) => e.dn),
      [
        `ou=people,${ownedBase}`,
        `ou=groups,${ownedBase}`,
        `ou=services,${ownedBase}`,
        `cn=mail-reader,ou=services,${ownedBase}`,
        `uid=alice@dev.example.test,ou=people,${ownedBase}`,
        `uid=bob@dev.example.test,ou=people,${ownedBase}`,
        `cn=team@dev.example.test,ou=groups,${ownedBase}`,
      ],
    );
    const alice = entries[4]?.attributes;
    assert.deepEqual(alice?.mail, ["alice@dev.example.test"]);
    // postmaster is alice's alias; alice is the domain's catch-all.
    assert.deepEqual(alice?.mailLocalAddress, ["postmaster@dev.example.test", "@dev.example.test"]);
    assert.deepEqual(entries[6]?.attributes.member, [entries[4]?.dn, entries[5]?.dn]);
    assert.equal(Object.keys(passwords).length, 2);
    for (const p of Object.values(passwords))
      assert.ok("userPassword" in p && p.userPassword.startsWith("{ARGON2}$argon2id$"));
    assert.ok(!JSON.stringify(entries).includes("userPassword"));
  });

  const config = (extra: Record<string, unknown>) =>
    parseStackConfig({ hostname: "mail.x.test", domains: [{ name: "x.test" }], ...extra }, "test");

  it("passes a plain password on to be hashed by the provider, and puts group aliases on the group", () => {
    const { passwords, entries } = directoryEntries(
      config({
        users: [{ address: "a@x.test", name: "A", password: "a-secret-pw" }],
        groups: [{ address: "g@x.test", members: ["a@x.test"] }],
        aliases: [{ address: "all@x.test", to: "g@x.test" }],
      }),
      "dc=x,dc=test",
    );
    assert.deepEqual(Object.values(passwords), [{ password: "a-secret-pw" }]);
    assert.deepEqual(entries.at(-1)?.attributes.mailLocalAddress, ["g@x.test", "all@x.test"]);
    assert.deepEqual(entries.at(-1)?.attributes.description, ["g@x.test"]);
  });

  it("names the key when the directory cannot hold the config", () => {
    assert.throws(
      () => directoryEntries(config({ users: [{ address: "a@x.test", name: "A" }] }), "dc=x"),
      /^DirectoryConfigError: mailstack:users\[0\]: a@x\.test has no password/,
    );
    assert.throws(
      () =>
        directoryEntries(
          config({
            users: [{ address: "a@x.test", name: "A", passwordHash: HASH }],
            groups: [{ address: "g@x.test", members: ["a@x.test", "friend@elsewhere.test"] }],
          }),
          "dc=x",
        ),
      /mailstack:groups\[0\]\.members\[1\]: friend@elsewhere\.test is not a user or group/,
    );
  });
});
