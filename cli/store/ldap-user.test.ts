/**
 * With an LDAP directory the store keys mail by the LDAP uid, not the address: `mailstack
 * export` and `import` must find that uid through the LDAP server the stack config names
 * (a real slapd, test/helpers/slapd.ts).
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteMailStore } from "../../servers/store/sqlite/sqlite-store.ts";
import { message, tempDataDir } from "../../servers/store/testing/fixtures.ts";
import { startSlapd, type Slapd } from "../../test/helpers/slapd.ts";
import { inProcess, runCliOk } from "./testing/run-cli.ts";

let slapd: Slapd;
before(async () => {
  slapd = await startSlapd();
});
after(() => slapd?.cleanup());

/** A stack config whose directory is the LDAP server at `url`, data in `dir/data`. */
async function ldapConfig(dir: string, url: string): Promise<string> {
  const config = join(dir, "Pulumi.ldap.yaml");
  await writeFile(
    config,
    [
      "config:",
      "  mailstack:domains:",
      "    - name: example.test",
      "    - name: other.test",
      "  mailstack:hostname: mail.example.test",
      "  mailstack:directory:",
      "    backend: ldap",
      `    url: ${url}`,
      `    baseDN: ${JSON.stringify(slapd.baseDN)}`,
      `    bindDN: ${JSON.stringify(slapd.bindDN)}`,
      `    bindPassword: ${JSON.stringify(slapd.bindPassword)}`,
      "  mailstack:local:",
      "    dataDir: data",
      "",
    ].join("\n"),
  );
  return config;
}

describe("mailstack export and import with an LDAP directory", () => {
  it("reach the account of the user's uid, through an alias too", async (t) => {
    const dir = await tempDataDir(t);
    const config = await ldapConfig(dir, slapd.url);
    const dataDir = join(dir, "data");
    const store = new SqliteMailStore({ dataDir });
    const alice = await store.openAccount("alice"); // as the MDA stores it: by uid
    await alice.append("INBOX", message({ subject: "to alice" }), { flags: ["\\Seen"] });
    await store.close();

    const out = join(dir, "export");
    const exported = await runCliOk(
      "export",
      "--config",
      config,
      "--user",
      "postmaster@example.test", // an alias of alice in the fixture directory
      "--format",
      "maildir",
      "--out",
      out,
    );
    assert.match(exported.stdout, /^Exported alice as maildir .* 1 message\(s\)/);

    await runCliOk(
      "import",
      "--config",
      config,
      "--user",
      "bob@example.test",
      "--format",
      "maildir",
      "--from",
      out,
    );
    const check = new SqliteMailStore({ dataDir });
    t.after(() => check.close());
    assert.deepEqual(await check.listAccounts(), ["alice", "bob"]);
    const inbox = await (await check.openAccount("bob")).openMailbox("INBOX");
    assert.deepEqual(
      (await inbox.list()).map((m) => m.flags),
      [["\\Seen"]],
    );
  });

  it("say so when the LDAP server does not answer (exit 69)", async (t) => {
    const dir = await tempDataDir(t);
    const config = await ldapConfig(dir, "ldap://127.0.0.1:1");
    const result = await inProcess("export", [
      "--config",
      config,
      "--user",
      "alice@example.test",
      "--format",
      "mbox",
      "--out",
      join(dir, "x"),
    ]);
    assert.equal(result.code, 69, result.stderr);
    assert.match(
      result.stderr,
      /^mailstack export: alice@example\.test: the directory does not answer/,
    );
  });
});
