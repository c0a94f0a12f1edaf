/**
 * The behaviour every directory backend must have. Each backend's test file calls
 * `directorySuite` with a factory that builds a directory over the fixture in
 * test/fixtures/directory.ts; the same assertions then run against the file and against slapd.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fixtureCatchAll, fixtureGroups, fixtureUsers } from "../../../test/fixtures/directory.ts";
import type { DirectoryOptions } from "./directory.ts";
import type { Directory } from "./types.ts";

export type DirectoryFactory = (options: Omit<DirectoryOptions, "domains">) => Promise<Directory>;

const client = { remoteAddress: "192.0.2.10" };
const [alice, bob, carol] = fixtureUsers as [
  (typeof fixtureUsers)[0],
  (typeof fixtureUsers)[0],
  (typeof fixtureUsers)[0],
];

/** Hostile inputs that must find nothing: LDAP filter injection and wildcard tricks. */
const injections = [
  "*",
  "*@example.test",
  "alice*@example.test",
  "*)(uid=*",
  "alice@example.test)(|(uid=*",
  "*)(|(mail=*))@example.test",
  "al\\2aice@example.test",
  "alice@example.test\u0000",
  "(mail=alice@example.test)",
];

export function directorySuite(name: string, make: DirectoryFactory): void {
  const withDirectory = async (
    fn: (d: Directory) => Promise<void>,
    options: Omit<DirectoryOptions, "domains"> = { failureFloorMs: 0 },
  ) => {
    const directory = await make(options);
    try {
      await fn(directory);
    } finally {
      await directory.close();
    }
  };

  describe(`${name}: authentication`, () => {
    it("accepts each user's password (argon2id and bcrypt hashes)", () =>
      withDirectory(async (d) => {
        for (const user of [alice, bob, carol]) {
          const result = await d.authenticate(user.address, user.password, client);
          assert.equal(result.ok, true, user.address);
          assert.equal(result.ok && result.user.address, user.address);
          assert.equal(result.ok && result.user.displayName, user.displayName);
        }
      }));

    it("accepts the login in any case and by alias", () =>
      withDirectory(async (d) => {
        const upper = await d.authenticate("ALICE@Example.TEST", alice.password, client);
        assert.equal(upper.ok && upper.user.address, alice.address);
        const alias = await d.authenticate("postmaster@example.test", alice.password, client);
        assert.equal(alias.ok && alias.user.address, alice.address);
      }));

    it("refuses a wrong password, an unknown user and an empty password alike", () =>
      withDirectory(async (d) => {
        for (const [login, password] of [
          [alice.address, "wrong"],
          [alice.address, bob.password],
          ["nobody@example.test", alice.password],
          [alice.address, ""],
          ["not an address", alice.password],
        ] as const) {
          assert.deepEqual(await d.authenticate(login, password, client), {
            ok: false,
            reason: "invalid",
          });
        }
      }));

    it("finds nothing with LDAP injection in the login or the password", () =>
      withDirectory(async (d) => {
        for (const login of injections) {
          const result = await d.authenticate(login, alice.password, client);
          assert.equal(result.ok, false, login);
        }
        for (const password of ["*", "*)(uid=*", `${alice.password})(|(x=*`]) {
          const result = await d.authenticate(alice.address, password, client);
          assert.equal(result.ok, false, password);
        }
      }));

    it("makes every failure take at least the failure floor, user or no user", () =>
      withDirectory(
        async (d) => {
          for (const login of [alice.address, "nobody@example.test"]) {
            const started = performance.now();
            const result = await d.authenticate(login, "wrong", client);
            assert.equal(result.ok, false);
            assert.ok(performance.now() - started >= 149, `${login} answered too fast`);
          }
        },
        { failureFloorMs: 150 },
      ));

    it("throttles a login after repeated failures, even with the right password", () =>
      withDirectory(
        async (d) => {
          for (let i = 0; i < 3; i++) await d.authenticate(bob.address, "guess", client);
          assert.deepEqual(await d.authenticate(bob.address, bob.password, client), {
            ok: false,
            reason: "throttled",
          });
          // Another user from another client is not affected.
          const other = await d.authenticate(alice.address, alice.password, {
            remoteAddress: "192.0.2.99",
          });
          assert.equal(other.ok, true);
        },
        { failureFloorMs: 0, throttle: { maxFailuresPerLogin: 3, maxFailuresPerAddress: 100 } },
      ));

    it("throttles a client address that sprays many logins", () =>
      withDirectory(
        async (d) => {
          const sprayer = { remoteAddress: "198.51.100.7" };
          for (let i = 0; i < 4; i++) await d.authenticate(`user${i}@example.test`, "x", sprayer);
          const result = await d.authenticate(alice.address, alice.password, sprayer);
          assert.deepEqual(result, { ok: false, reason: "throttled" });
          const elsewhere = await d.authenticate(alice.address, alice.password, client);
          assert.equal(elsewhere.ok, true);
        },
        { failureFloorMs: 0, throttle: { maxFailuresPerLogin: 100, maxFailuresPerAddress: 4 } },
      ));
  });

  describe(`${name}: password change`, () => {
    const newPassword = "a much longer new passphrase";

    it("changes a password: the new one logs in, the old one no longer does", () =>
      withDirectory(async (d) => {
        assert.deepEqual(
          await d.changePassword(carol.address, carol.password, newPassword, client),
          {
            ok: true,
          },
        );
        try {
          assert.equal((await d.authenticate(carol.address, newPassword, client)).ok, true);
          assert.deepEqual(await d.authenticate(carol.address, carol.password, client), {
            ok: false,
            reason: "invalid",
          });
          // A fresh directory over the same data sees it too.
          const again = await make({ failureFloorMs: 0 });
          try {
            assert.equal((await again.authenticate(carol.address, newPassword, client)).ok, true);
          } finally {
            await again.close();
          }
        } finally {
          const back = await d.changePassword(carol.address, newPassword, carol.password, client);
          assert.deepEqual(back, { ok: true });
        }
        assert.equal((await d.authenticate(carol.address, carol.password, client)).ok, true);
      }));

    it("changes it by alias login too, and keeps the user's other facts", () =>
      withDirectory(async (d) => {
        const byAlias = await d.changePassword(
          "Postmaster@example.test",
          alice.password,
          newPassword,
          client,
        );
        assert.deepEqual(byAlias, { ok: true });
        try {
          const login = await d.authenticate(alice.address, newPassword, client);
          assert.equal(login.ok && login.user.displayName, alice.displayName);
        } finally {
          await d.changePassword(alice.address, newPassword, alice.password, client);
        }
      }));

    it("refuses a wrong current password, an unknown user and a short new password", () =>
      withDirectory(async (d) => {
        for (const [login, current] of [
          [bob.address, "wrong"],
          [bob.address, alice.password],
          [bob.address, ""],
          ["nobody@example.test", bob.password],
          ["not an address", bob.password],
          ...injections.map((i) => [i, bob.password] as const),
        ] as const) {
          assert.deepEqual(await d.changePassword(login, current, newPassword, client), {
            ok: false,
            reason: "invalid",
          });
        }
        for (const weak of ["short", "fourteen chars", "x".repeat(1025)]) {
          assert.deepEqual(await d.changePassword(bob.address, bob.password, weak, client), {
            ok: false,
            reason: "weak",
          });
        }
        // Fifteen characters is enough, counted as characters, not bytes.
        assert.equal([..."ünïcödé pässwör"].length, 15);
        assert.deepEqual(
          await d.changePassword(bob.address, bob.password, "ünïcödé pässwör", client),
          { ok: true },
        );
        assert.equal((await d.authenticate(bob.address, "ünïcödé pässwör", client)).ok, true);
        await d.changePassword(bob.address, "ünïcödé pässwör", bob.password, client);
        assert.equal((await d.authenticate(bob.address, bob.password, client)).ok, true);
      }));

    it("throttles password changes with the logins' failures", () =>
      withDirectory(
        async (d) => {
          const guesser = { remoteAddress: "203.0.113.5" };
          for (let i = 0; i < 3; i++) {
            await d.changePassword(alice.address, `guess ${i}`, newPassword, guesser);
          }
          assert.deepEqual(
            await d.changePassword(alice.address, alice.password, newPassword, guesser),
            { ok: false, reason: "throttled" },
          );
          assert.deepEqual(await d.authenticate(alice.address, alice.password, client), {
            ok: false,
            reason: "throttled",
          });
          assert.equal((await d.authenticate(bob.address, bob.password, client)).ok, true);
        },
        { failureFloorMs: 0, throttle: { maxFailuresPerLogin: 3, maxFailuresPerAddress: 100 } },
      ));
  });

  describe(`${name}: address search`, () => {
    const search = async (d: Directory, prefix: string, limit = 10) =>
      (await d.searchAddresses(prefix, limit)).map(
        (s) => `${s.kind} ${s.address} ${s.displayName}`,
      );

    it("finds users and groups by the start of an address, a name or a word of it", () =>
      withDirectory(async (d) => {
        assert.deepEqual(await search(d, "ali"), [`user ${alice.address} ${alice.displayName}`]);
        assert.deepEqual(await search(d, "ALICE@EX"), [
          `user ${alice.address} ${alice.displayName}`,
        ]);
        // A later word of the name, and an alias: the primary address is suggested.
        assert.deepEqual(await search(d, "builder"), [`user ${bob.address} ${bob.displayName}`]);
        assert.deepEqual(await search(d, "postm"), [`user ${alice.address} ${alice.displayName}`]);
        const team = fixtureGroups[0];
        assert.deepEqual(await search(d, "team"), [`group ${team.address} ${team.displayName}`]);
        assert.deepEqual(await search(d, "carol@other.test"), [
          `user ${carol.address} ${carol.displayName}`,
        ]);
      }));

    it("finds nothing in the middle of a word, for catch-alls, wildcards or injection", () =>
      withDirectory(async (d) => {
        for (const prefix of ["lice", "xample.test", "@other", "", "  ", "zz", ...injections]) {
          assert.deepEqual(await search(d, prefix), [], prefix);
        }
      }));

    it("gives no more than `limit` suggestions", () =>
      withDirectory(async (d) => {
        assert.deepEqual(await d.searchAddresses("ali", 0), []);
        assert.equal((await d.searchAddresses("ali", 1000)).length, 1);
      }));
  });

  describe(`${name}: recipients`, () => {
    it("resolves a primary address and its aliases to the user", () =>
      withDirectory(async (d) => {
        const primary = await d.resolve("Alice@EXAMPLE.test");
        assert.equal(primary.kind === "user" && primary.user.address, alice.address);
        assert.equal(primary.kind === "user" && primary.via, "primary");
        assert.deepEqual(
          primary.kind === "user" && [...primary.user.aliases].sort(),
          [...alice.aliases].sort(),
        );
        assert.equal(primary.kind === "user" && primary.user.quotaBytes, alice.quotaBytes);
        for (const alias of alice.aliases) {
          const r = await d.resolve(alias);
          assert.equal(r.kind === "user" && r.user.address, alice.address, alias);
          assert.equal(r.kind === "user" && r.via, "alias");
        }
      }));

    it("resolves plus-addresses to the user and keeps the tag", () =>
      withDirectory(async (d) => {
        const r = await d.resolve("alice+newsletters@example.test");
        assert.equal(r.kind === "user" && r.user.address, alice.address);
        assert.equal(r.kind === "user" && r.detail, "newsletters");
        const onAlias = await d.resolve("postmaster+dmarc@example.test");
        assert.equal(onAlias.kind === "user" && onAlias.user.address, alice.address);
        assert.equal(onAlias.kind === "user" && onAlias.detail, "dmarc");
        const empty = await d.resolve("bob+@example.test");
        assert.equal(empty.kind === "user" && empty.user.address, bob.address);
      }));

    it("expands a group to its members", () =>
      withDirectory(async (d) => {
        const group = fixtureGroups[0];
        const r = await d.resolve(group.address);
        assert.equal(r.kind, "group");
        assert.deepEqual(
          r.kind === "group" && [...r.group.members].sort(),
          [...group.members].sort(),
        );
        const tagged = await d.resolve("team+weekly@example.test");
        assert.equal(tagged.kind, "group");
      }));

    it("sends unknown addresses of a catch-all domain to the catch-all user", () =>
      withDirectory(async (d) => {
        const r = await d.resolve(`anything-at-all@${fixtureCatchAll.domain}`);
        assert.equal(r.kind === "user" && r.user.address, fixtureCatchAll.target);
        assert.equal(r.kind === "user" && r.via, "catch-all");
        const own = await d.resolve(carol.address);
        assert.equal(own.kind === "user" && own.via, "primary");
      }));

    it("tells an unknown local user apart from a domain that is not ours", () =>
      withDirectory(async (d) => {
        assert.deepEqual(await d.resolve("nobody@example.test"), {
          kind: "unknown",
          localDomain: true,
        });
        assert.deepEqual(await d.resolve("alice@elsewhere.test"), {
          kind: "unknown",
          localDomain: false,
        });
        assert.deepEqual(await d.resolve("not-an-address"), {
          kind: "unknown",
          localDomain: false,
        });
      }));

    it("finds nothing for injection and wildcard addresses", () =>
      withDirectory(async (d) => {
        for (const address of injections) {
          const r = await d.resolve(address);
          assert.ok(r.kind === "unknown", `${address} resolved to ${r.kind}`);
        }
      }));

    it("finds users by address without catch-all or plus-addressing", () =>
      withDirectory(async (d) => {
        assert.equal((await d.findUser("a.example@example.test"))?.address, alice.address);
        assert.equal(await d.findUser("alice+x@example.test"), undefined);
        assert.equal(await d.findUser("whoever@other.test"), undefined);
        assert.equal(await d.findUser(fixtureGroups[0].address), undefined);
        assert.deepEqual(await d.domains(), ["example.test", "other.test"]);
      }));
  });
}
