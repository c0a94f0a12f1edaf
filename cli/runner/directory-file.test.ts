/**
 * The runner's directory file across restarts: a password given in clear keeps its hash while it
 * matches, so a password the user changed since (kept beside the file) stays theirs until the
 * config's password changes.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { openFileDirectory } from "../../servers/shared/directory/file-directory.ts";
import { parseStackConfig } from "../../stacks/load.ts";
import { writeDirectoryFile } from "./directory-file.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-dirfile-"));
});
after(() => rm(dir, { recursive: true, force: true }));

const config = (password: string) =>
  parseStackConfig(
    {
      domains: [{ name: "example.test" }],
      hostname: "mail.example.test",
      users: [{ address: "erin@example.test", name: "Erin", password }],
      local: { listen: "127.0.0.1", dataDir: "data" },
    },
    "test",
  );

const hashIn = async (path: string) =>
  (JSON.parse(await readFile(path, "utf8")) as { users: { passwordHash: string }[] }).users[0]
    ?.passwordHash;

it("keeps a user's own password over restarts until the config's password changes", async () => {
  const client = { remoteAddress: "192.0.2.1" };
  const first = await writeDirectoryFile(config("erin-config-password"), dir);
  const hash = await hashIn(first.path);
  const d = await openFileDirectory({ path: first.path, domains: ["example.test"], watch: false });
  try {
    const changed = await d.changePassword(
      "erin@example.test",
      "erin-config-password",
      "erin's very own passphrase",
      client,
    );
    assert.deepEqual(changed, { ok: true });
  } finally {
    await d.close();
  }

  const login = async (password: string) => {
    const again = await openFileDirectory({
      path: first.path,
      domains: ["example.test"],
      watch: false,
    });
    try {
      return (await again.authenticate("erin@example.test", password, client)).ok;
    } finally {
      await again.close();
    }
  };
  // A restart with the same config: same hash in the file, the user's password still theirs.
  await writeDirectoryFile(config("erin-config-password"), dir);
  assert.equal(await hashIn(first.path), hash);
  assert.equal(await login("erin's very own passphrase"), true);
  assert.equal(await login("erin-config-password"), false);

  // The config's password changes: it wins.
  await writeDirectoryFile(config("erin-reset-by-admin"), dir);
  assert.notEqual(await hashIn(first.path), hash);
  assert.equal(await login("erin-reset-by-admin"), true);
  assert.equal(await login("erin's very own passphrase"), false);
});
