import assert from "node:assert/strict";
import { mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import {
  fixtureCatchAll,
  fixtureDomains,
  fixtureGroups,
  fixtureHashes,
  fixtureUsers,
} from "../../../test/fixtures/directory.ts";
import { ConfigError } from "../config.ts";
import { directorySuite } from "./directory-suite.ts";
import { openFileDirectory, readFileDirectory } from "./file-directory.ts";
import { hashPassword } from "./passwords.ts";

let dir: string;
let path: string;

async function fixtureFile() {
  const hashes = await fixtureHashes();
  return {
    users: fixtureUsers.map((u) => ({
      address: u.address,
      name: u.displayName,
      passwordHash: hashes.get(u.address),
      ...(u.quotaBytes === undefined ? {} : { quotaBytes: u.quotaBytes }),
    })),
    aliases: fixtureUsers.flatMap((u) => u.aliases.map((a) => ({ address: a, to: u.address }))),
    groups: fixtureGroups.map((g) => ({
      address: g.address,
      name: g.displayName,
      members: g.members,
    })),
    catchAll: [{ domain: fixtureCatchAll.domain, to: fixtureCatchAll.target }],
  };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-filedir-"));
  path = join(dir, "directory.yaml");
  await writeFile(path, stringify(await fixtureFile()));
});
after(() => rm(dir, { recursive: true, force: true }));

directorySuite("file", (options) =>
  openFileDirectory({ ...options, path, domains: [...fixtureDomains], watch: false }),
);

describe("file directory: the file itself", () => {
  it("reads JSON as well as YAML", async () => {
    const jsonPath = join(dir, "directory.json");
    await writeFile(jsonPath, JSON.stringify(await fixtureFile()));
    const d = await openFileDirectory({ path: jsonPath, domains: ["example.test"], watch: false });
    assert.equal((await d.findUser("alice@example.test"))?.displayName, "Alice Example");
    await d.close();
  });

  it("rejects bad files with the path of each bad key", async () => {
    const cases: [unknown, RegExp][] = [
      [
        { users: [{ address: "bob", name: "B", passwordHash: "x" }] },
        /users\[0\]\.address: expected an email address/,
      ],
      [
        { users: [{ address: "b@x.test", name: "B", passwordHash: "secret" }] },
        /users\[0\]\.passwordHash: expected an argon2id/,
      ],
      [{ user: [] }, /unknown key "user"/],
      [
        { aliases: [{ address: "a@x.test", to: "ghost@x.test" }] },
        /aliases\[0\]\.to: ghost@x\.test is not a user or group/,
      ],
      [{ groups: [{ address: "g@x.test", members: [] }] }, /groups\[0\]\.members: /],
      [
        { catchAll: [{ domain: "not a domain", to: "a@x.test" }] },
        /catchAll\[0\]\.domain: expected a domain name/,
      ],
    ];
    for (const [content, expected] of cases) {
      const bad = join(dir, "bad.json");
      await writeFile(bad, JSON.stringify(content));
      await assert.rejects(readFileDirectory(bad), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, expected);
        assert.ok(error.message.startsWith(bad), error.message);
        return true;
      });
    }
  });

  it("rejects two entries with one address", async () => {
    const hash = (await fixtureHashes()).get("alice@example.test");
    const bad = join(dir, "dup.json");
    await writeFile(
      bad,
      JSON.stringify({
        users: [{ address: "a@x.test", name: "A", passwordHash: hash }],
        aliases: [{ address: "A@x.test", to: "a@x.test" }],
      }),
    );
    await assert.rejects(
      readFileDirectory(bad),
      /aliases\[0\]\.address: a@x\.test is already used/,
    );
  });

  it("picks up a changed file and keeps the last good one when a change is broken", async () => {
    const livePath = join(dir, "live.yaml");
    const data = await fixtureFile();
    await writeFile(livePath, stringify(data));
    const errors: Error[] = [];
    const d = await openFileDirectory({
      path: livePath,
      domains: ["example.test"],
      onReloadError: (e) => errors.push(e),
    });
    try {
      assert.equal((await d.resolve("dave@example.test")).kind, "unknown");
      const tmp = `${livePath}.tmp`;
      await writeFile(
        tmp,
        stringify({
          ...data,
          aliases: [...data.aliases, { address: "dave@example.test", to: "bob@example.test" }],
        }),
      );
      await rename(tmp, livePath);
      await waitFor(async () => (await d.resolve("dave@example.test")).kind === "user");

      await writeFile(livePath, "users: [ {address: broken");
      await waitFor(() => Promise.resolve(errors.length > 0));
      const still = await d.resolve("dave@example.test");
      assert.equal(still.kind === "user" && still.user.address, "bob@example.test");
    } finally {
      await d.close();
    }
  });
});

describe("file directory: passwords users changed", () => {
  it("another process's directory takes a change within a second; the config's new hash wins", async () => {
    const livePath = join(dir, "changing.json");
    const data = await fixtureFile();
    await writeFile(livePath, JSON.stringify(data));
    const carol = fixtureUsers[2];
    assert.ok(carol);
    const writer = await openFileDirectory({
      path: livePath,
      domains: ["other.test"],
      watch: false,
    });
    const reader = await openFileDirectory({ path: livePath, domains: ["other.test"] });
    const client = { remoteAddress: "192.0.2.1" };
    try {
      const changed = await writer.changePassword(
        carol.address,
        carol.password,
        "carol chose this one herself",
        client,
      );
      assert.deepEqual(changed, { ok: true });
      // Kept beside the directory file, readable by its owner only; the file itself untouched.
      const overrides = join(dir, "changing.passwords.json");
      assert.equal((await stat(overrides)).mode & 0o777, 0o600);
      assert.deepEqual(JSON.parse(await readFile(livePath, "utf8")), data);
      await waitFor(
        async () =>
          (await reader.authenticate(carol.address, "carol chose this one herself", client)).ok,
      );
      assert.equal((await reader.authenticate(carol.address, carol.password, client)).ok, false);

      // An administrator sets a new hash in the directory file: it wins over the user's change.
      const reset = await hashPassword("set by the administrator");
      const users = data.users.map((u) =>
        u.address === carol.address ? { ...u, passwordHash: reset } : u,
      );
      await writeFile(`${livePath}.tmp`, JSON.stringify({ ...data, users }));
      await rename(`${livePath}.tmp`, livePath);
      await waitFor(
        async () =>
          (await reader.authenticate(carol.address, "set by the administrator", client)).ok,
      );
      assert.equal(
        (await reader.authenticate(carol.address, "carol chose this one herself", client)).ok,
        false,
      );
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, ms = 5000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) assert.fail("condition not met in time");
    await sleep(25);
  }
}
