/**
 * Local DKIM keys: generated once per published selector, kept, of the selector's algorithm,
 * and the MTA plan's runtime config passes the MTA's own schema.
 */
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { mtaConfigSchema } from "../../servers/mta/config.ts";
import { parseStackConfig } from "../../stacks/load.ts";
import { activeDkimKeys, dkimKeyPath, ensureDkimKeys } from "./dkim-keys.ts";
import { SERVERS } from "./servers.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-dkim-keys-"));
});
after(() => rm(dir, { recursive: true, force: true }));

const config = parseStackConfig(
  {
    domains: [
      {
        name: "example.test",
        dkim: [
          { selector: "s2026b", algorithm: "rsa2048", state: "active" },
          { selector: "ed2026", algorithm: "ed25519", state: "active" },
          { selector: "s2026a", algorithm: "rsa2048", state: "retiring" },
          { selector: "s2027", algorithm: "rsa2048", state: "pending" },
        ],
      },
      { name: "other.test" },
    ],
    hostname: "mail.example.test",
  },
  "test",
);

describe("local DKIM keys", () => {
  it("generates a key per published selector, 0600, and a default `local` one where none is set", async () => {
    const keys = await ensureDkimKeys(config, dir);
    assert.deepEqual(
      keys.map((k) => `${k.recordName} ${k.state}`),
      [
        "s2026b._domainkey.example.test active",
        "ed2026._domainkey.example.test active",
        "s2026a._domainkey.example.test retiring",
        "s2027._domainkey.example.test pending",
        "local._domainkey.other.test active",
      ],
    );
    for (const key of keys) {
      assert.equal((await stat(key.keyPath)).mode & 0o777, 0o600, key.keyPath);
      const type = createPrivateKey(await readFile(key.keyPath, "utf8")).asymmetricKeyType;
      assert.equal(type, key.algorithm === "rsa2048" ? "rsa" : "ed25519");
    }
    assert.match(keys[0]?.recordValue ?? "", /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/);
    assert.match(keys[1]?.recordValue ?? "", /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
  });

  it("keeps the keys on the next start", async () => {
    const first = await readFile(dkimKeyPath(dir, "example.test", "s2026b"), "utf8");
    const again = await ensureDkimKeys(config, dir);
    assert.equal(await readFile(dkimKeyPath(dir, "example.test", "s2026b"), "utf8"), first);
    assert.equal(again.length, 5);
  });

  it("says which file to remove when a selector's algorithm no longer matches its key", async () => {
    const path = dkimKeyPath(dir, "other.test", "local");
    const ed = await readFile(dkimKeyPath(dir, "example.test", "ed2026"), "utf8");
    const original = await readFile(path, "utf8");
    await writeFile(path, ed);
    try {
      await assert.rejects(ensureDkimKeys(config, dir), new RegExp(`${path}: .*Remove the file`));
    } finally {
      await writeFile(path, original);
    }
  });

  it("gives the MTA the active selectors only", () => {
    assert.deepEqual(activeDkimKeys(config, dir), {
      "example.test": [
        {
          selector: "s2026b",
          algorithm: "rsa2048",
          keyPath: dkimKeyPath(dir, "example.test", "s2026b"),
        },
        {
          selector: "ed2026",
          algorithm: "ed25519",
          keyPath: dkimKeyPath(dir, "example.test", "ed2026"),
        },
      ],
      "other.test": [
        {
          selector: "local",
          algorithm: "rsa2048",
          keyPath: dkimKeyPath(dir, "other.test", "local"),
        },
      ],
    });
  });

  it("writes an MTA runtime config that the MTA's schema accepts", () => {
    const plan = SERVERS.find((p) => p.name === "mta");
    assert.ok(plan);
    assert.equal(typeof plan.prepare, "function", "the mta plan prepares its keys");
    const runtime = plan.runtimeConfig({
      config,
      dataDir: dir,
      tls: { certPath: "/c.pem", keyPath: "/k.pem", caPath: "/ca.pem" },
      directory: { backend: "file", path: join(dir, "directory.json") },
    });
    const parsed = mtaConfigSchema.parse(runtime);
    assert.deepEqual(parsed.listeners, {
      smtp: { host: "127.0.0.1", port: 2525 },
      submission: { host: "127.0.0.1", port: 2587 },
      submissions: { host: "127.0.0.1", port: 2465 },
    });
    assert.deepEqual(parsed.lmtp, { kind: "unix", path: join(dir, "run", "lmtp.sock") });
    assert.deepEqual(parsed.queue.local?.domains, ["example.test", "other.test"]);
  });
});
