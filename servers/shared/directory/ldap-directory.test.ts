/**
 * The LDAP backend against a real slapd (test/helpers/slapd.ts): the shared behaviour suite,
 * then what only LDAP has: a server that goes away or hangs and comes back, the service
 * account's limits, and stored values that look like filter syntax.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Attribute, Change, Client } from "ldapts";
import { fixtureDomains, fixtureUsers } from "../../../test/fixtures/directory.ts";
import { startSlapd, type Slapd } from "../../../test/helpers/slapd.ts";
import { directorySuite } from "./directory-suite.ts";
import type { DirectoryOptions } from "./directory.ts";
import { createLdapBackend, isLoopbackUrl, openLdapDirectory } from "./ldap-directory.ts";
import { QUOTA_ATTRIBUTE, userDN, userEntry } from "./ldap-entries.ts";
import { DirectoryUnavailableError, type Directory } from "./types.ts";

let slapd: Slapd;

before(async () => {
  slapd = await startSlapd();
});

after(async () => {
  await slapd?.cleanup();
});

const [alice] = fixtureUsers as [(typeof fixtureUsers)[0]];
const client = { remoteAddress: "192.0.2.10" };

function open(
  options: Omit<DirectoryOptions, "domains"> & { timeoutMs?: number; startTls?: boolean } = {},
): Directory {
  return openLdapDirectory({
    url: slapd.url,
    baseDN: slapd.baseDN,
    bindDN: slapd.bindDN,
    bindPassword: slapd.bindPassword,
    domains: fixtureDomains,
    ...options,
  });
}

directorySuite("ldap", (options) => Promise.resolve(open(options)));

/** Counts unhandled rejections and uncaught exceptions while `fn` runs. */
async function expectNoStrayErrors(fn: () => Promise<void>): Promise<void> {
  const stray: unknown[] = [];
  const record = (error: unknown): void => {
    stray.push(error);
  };
  process.on("unhandledRejection", record);
  process.on("uncaughtException", record);
  try {
    await fn();
    // Give late socket events and timers a chance to surface.
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    process.off("unhandledRejection", record);
    process.off("uncaughtException", record);
  }
  assert.deepEqual(stray, []);
}

/**
 * The request fails as unavailable, and it does so because our timeout fired, not the
 * operating system's (minutes): the bound is loose so that a loaded machine does not fail it.
 */
async function rejectsUnavailable(promise: Promise<unknown>, timeoutMs: number): Promise<void> {
  const withinMs = timeoutMs + 8_000;
  const started = performance.now();
  await assert.rejects(promise, DirectoryUnavailableError);
  const took = performance.now() - started;
  assert.ok(took < withinMs, `took ${Math.round(took)} ms, expected under ${withinMs} ms`);
}

/** The first answer within 20 tries: what was unavailable comes back. */
async function eventually<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError) || attempt === 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe("ldap: when slapd goes away", () => {
  const timeoutMs = 800;

  it("answers unavailable while slapd is stopped and recovers when it is back", () =>
    expectNoStrayErrors(async () => {
      const d = open({ timeoutMs, failureFloorMs: 0 });
      try {
        assert.equal((await d.findUser(alice.address))?.address, alice.address);
        await slapd.stop();

        assert.deepEqual(await d.authenticate(alice.address, alice.password, client), {
          ok: false,
          reason: "unavailable",
        });
        await rejectsUnavailable(d.resolve(alice.address), timeoutMs);
        await rejectsUnavailable(d.findUser(alice.address), timeoutMs);
        // Every pooled connection is tried in turn; none may hang or leak an error.
        for (let i = 0; i < 6; i++)
          await rejectsUnavailable(d.resolve("team@example.test"), timeoutMs);

        await slapd.start();
        const back = await eventually(() => d.resolve(alice.address));
        assert.equal(back.kind === "user" && back.user.address, alice.address);
        const login = await d.authenticate(alice.address, alice.password, client);
        assert.equal(login.ok, true);
      } finally {
        await d.close();
      }
    }));

  it("gives up within the timeout when slapd hangs, and recovers when it wakes", () =>
    expectNoStrayErrors(async () => {
      const d = open({ timeoutMs, failureFloorMs: 0 });
      try {
        assert.equal((await d.findUser(alice.address))?.address, alice.address);
        slapd.pause();
        try {
          await rejectsUnavailable(d.resolve(alice.address), timeoutMs);
          assert.deepEqual(await d.authenticate(alice.address, alice.password, client), {
            ok: false,
            reason: "unavailable",
          });
          // A fresh directory, whose first connection hangs in the bind, gives up as well.
          const fresh = open({ timeoutMs });
          await rejectsUnavailable(fresh.resolve(alice.address), timeoutMs);
          await fresh.close();
        } finally {
          slapd.resume();
        }
        // A woken slapd on a loaded machine may still miss the first deadline: it recovers.
        const back = await eventually(() => d.resolve("team@example.test"));
        assert.equal(back.kind, "group");
        assert.equal((await d.authenticate(alice.address, alice.password, client)).ok, true);
      } finally {
        await d.close();
      }
    }));

  it("answers unavailable when the service account cannot bind", () =>
    expectNoStrayErrors(async () => {
      const d = openLdapDirectory({
        url: slapd.url,
        baseDN: slapd.baseDN,
        bindDN: slapd.bindDN,
        bindPassword: "not the service password",
        domains: fixtureDomains,
        failureFloorMs: 0,
      });
      try {
        const error = await d.resolve(alice.address).then(
          () => assert.fail("resolved without a service bind"),
          (e: unknown) => e,
        );
        assert.ok(error instanceof DirectoryUnavailableError);
        assert.doesNotMatch(error.message, /not the service password/);
        const login = await d.authenticate(alice.address, alice.password, client);
        assert.deepEqual(login, { ok: false, reason: "unavailable" });
      } finally {
        await d.close();
      }
    }));

  it("is unavailable, not broken, after close", async () => {
    const d = open();
    await d.close();
    await assert.rejects(d.resolve(alice.address), DirectoryUnavailableError);
  });
});

describe("ldap: the directory's own limits", () => {
  const asService = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    const c = new Client({ url: slapd.url, timeout: 2000, connectTimeout: 2000 });
    try {
      await c.bind(slapd.bindDN, slapd.bindPassword);
      return await fn(c);
    } finally {
      await c.unbind();
    }
  };

  it("lets the service account read users but not their passwords", async () => {
    const { searchEntries } = await asService((c) =>
      c.search(userDN(slapd.baseDN, alice.uid), {
        scope: "base",
        attributes: ["mail", "userPassword"],
      }),
    );
    assert.equal(searchEntries[0]?.["mail"], alice.address);
    // ldapts lists a requested attribute the server did not return as [].
    assert.deepEqual(searchEntries[0]?.["userPassword"], []);
    // Nor can it probe them with a filter.
    const probe = await asService((c) =>
      c.search(slapd.baseDN, { filter: "(userPassword=*)", attributes: ["1.1"] }),
    );
    assert.deepEqual(probe.searchEntries, []);
  });

  it("never binds with an empty password, even asked directly", async () => {
    const backend = createLdapBackend({
      url: slapd.url,
      baseDN: slapd.baseDN,
      bindDN: slapd.bindDN,
      bindPassword: slapd.bindPassword,
    });
    try {
      assert.deepEqual(await backend.checkPassword(alice.address, ""), {
        kind: "wrong-password",
      });
      assert.equal((await backend.checkPassword(alice.address, alice.password)).kind, "ok");
    } finally {
      await backend.close();
    }
  });

  it("matches stored values that look like filter syntax only literally", async () => {
    const weird = "a*)(uid=*@example.test";
    const entry = userEntry(slapd.baseDN, {
      id: "weird",
      address: weird,
      displayName: "Weird Address",
      aliases: ["b\\2a@example.test"],
    });
    const root = new Client({ url: slapd.url, timeout: 2000, connectTimeout: 2000 });
    await root.bind(slapd.rootDN, slapd.rootPassword);
    const attributes = Object.fromEntries(
      Object.entries(entry.attributes).map(([k, v]) => [k, [...v]]),
    );
    await root.add(entry.dn, attributes);
    const d = open({ failureFloorMs: 0 });
    try {
      assert.equal((await d.findUser(weird))?.id, "weird");
      assert.equal((await d.findUser("b\\2a@example.test"))?.id, "weird");
      for (const probe of [
        "a*@example.test",
        "a\\2a)(uid=\\2a@example.test",
        "b*@example.test",
        "b\\*@example.test",
        "*@example.test",
        // Not IA5 (ASCII): slapd treats the filter value as undefined, which matches nothing.
        "wëird@example.test",
      ]) {
        assert.equal(await d.findUser(probe), undefined, probe);
        assert.deepEqual(await d.resolve(probe), { kind: "unknown", localDomain: true }, probe);
      }
    } finally {
      await d.close();
      await root.del(entry.dn);
      await root.unbind();
    }
  });
});

describe("ldap: quota and TLS", () => {
  it("reads no quota from a value that is not a whole number of bytes", async () => {
    const root = new Client({ url: slapd.url, timeout: 2000, connectTimeout: 2000 });
    await root.bind(slapd.rootDN, slapd.rootPassword);
    const d = open({ failureFloorMs: 0 });
    const dn = userDN(slapd.baseDN, alice.uid);
    const setQuota = (value: string) =>
      root.modify(dn, [
        new Change({
          operation: "replace",
          modification: new Attribute({ type: QUOTA_ATTRIBUTE, values: [value] }),
        }),
      ]);
    try {
      await setQuota("-5");
      assert.equal((await d.findUser(alice.address))?.quotaBytes, undefined);
      await setQuota("0");
      assert.equal((await d.findUser(alice.address))?.quotaBytes, 0);
    } finally {
      await setQuota(String(alice.quotaBytes));
      await d.close();
      await root.unbind();
    }
  });

  it("sends no password when StartTLS is required and the server cannot do it", async () => {
    // The test slapd has no certificate: it refuses StartTLS, so nothing may be sent in clear.
    const d = open({ startTls: true, failureFloorMs: 0 });
    try {
      assert.deepEqual(await d.authenticate(alice.address, alice.password, client), {
        ok: false,
        reason: "unavailable",
      });
    } finally {
      await d.close();
    }
  });

  it("uses StartTLS by default only off loopback", () => {
    for (const url of ["ldap://127.0.0.1:389", "ldap://localhost", "ldap://[::1]:3389"]) {
      assert.equal(isLoopbackUrl(url), true, url);
    }
    for (const url of ["ldap://directory:3389", "ldap://10.0.0.5", "ldap://127.example.com"]) {
      assert.equal(isLoopbackUrl(url), false, url);
    }
  });
});
