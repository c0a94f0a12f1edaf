/**
 * `mailstack export` and `import`, run as an operator runs them (cli/main.ts in a child
 * process): round trips through Maildir and mbox, users found through the directory, and the
 * error cases.
 */
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { SqliteMailStore } from "../../servers/store/sqlite/sqlite-store.ts";
import { message, tempDataDir } from "../../servers/store/testing/fixtures.ts";
import { ALICE, fillDataDir, pictureWithoutUids, writeDirectoryJson } from "./testing/fill.ts";
import { inProcess, runCli, runCliOk } from "./testing/run-cli.ts";

async function pictureOf(dataDir: string, user: string) {
  const store = new SqliteMailStore({ dataDir });
  try {
    return await pictureWithoutUids(await store.openAccount(user));
  } finally {
    await store.close();
  }
}

async function accounts(dataDir: string): Promise<string[]> {
  const store = new SqliteMailStore({ dataDir });
  try {
    return await store.listAccounts();
  } finally {
    await store.close();
  }
}

/** A stack config (file directory) whose data directory is `data/` beside it. */
async function stackConfig(t: TestContext): Promise<{ config: string; dataDir: string }> {
  const dir = await tempDataDir(t);
  const config = join(dir, "Pulumi.local.yaml");
  await writeFile(
    config,
    [
      "config:",
      "  mailstack:domains:",
      "    - name: example.test",
      "  mailstack:hostname: mail.example.test",
      "  mailstack:users:",
      `    - address: ${ALICE}`,
      "      name: Alice",
      "    - address: dave@example.test",
      "      name: Dave",
      "  mailstack:aliases:",
      `    - address: info@example.test`,
      `      to: ${ALICE}`,
      "  mailstack:local:",
      "    dataDir: data",
      "",
    ].join("\n"),
  );
  return { config, dataDir: join(dir, "data") };
}

for (const format of ["maildir", "mbox"] as const) {
  describe(`mailstack export and import as ${format}`, () => {
    it("gives back every message byte for byte, with flags, dates, folders and subscriptions", async (t) => {
      const dataDir = await tempDataDir(t);
      await fillDataDir(dataDir);
      const mailboxCount = Object.keys((await pictureOf(dataDir, ALICE)).mailboxes).length;
      const out = join(await tempDataDir(t), "export");
      const exported = await runCliOk(
        "export",
        "--data-dir",
        dataDir,
        "--user",
        ALICE,
        "--format",
        format,
        "--out",
        out,
      );
      assert.match(
        exported.stdout,
        new RegExp(
          `^Exported ${ALICE} as ${format} to .*: ${mailboxCount} mailbox\\(es\\), 6 message\\(s\\), \\d+ bytes written\\.\\n$`,
        ),
      );
      const files = await readdir(out);
      assert.ok(files.includes(format === "maildir" ? "cur" : "INBOX.mbox"), files.join());

      // Into another data directory, for a user of its directory with no mail yet.
      const target = await tempDataDir(t);
      await writeDirectoryJson(target, [ALICE]);
      const imported = JSON.parse(
        (
          await runCliOk(
            "import",
            "--data-dir",
            target,
            "--user",
            ALICE,
            "--format",
            format,
            "--from",
            out,
            "--json",
          )
        ).stdout,
      ) as { messages: number; account: { messages: number } };
      assert.equal(imported.messages, 6);
      assert.equal(imported.account.messages, 6);
      const [got, want] = [await pictureOf(target, ALICE), await pictureOf(dataDir, ALICE)];
      if (format === "maildir") assert.deepEqual(got, want);
      else {
        // Subscriptions have no place in mbox files; everything else comes back.
        const unsubscribed = (mailboxes: Record<string, unknown>) =>
          Object.fromEntries(
            Object.entries(mailboxes).map(([name, box]) => {
              const { subscribed: _subscribed, ...rest } = box as { subscribed: boolean };
              return [name, rest];
            }),
          );
        assert.deepEqual(unsubscribed(got.mailboxes), unsubscribed(want.mailboxes));
      }
    });
  });
}

describe("mailstack export and import find the user through the directory", () => {
  it("takes an alias from the stack config for its user, and imports for a user with no mail yet", async (t) => {
    const { config, dataDir } = await stackConfig(t);
    await fillDataDir(dataDir);
    const out = join(await tempDataDir(t), "export");
    const exported = await runCliOk(
      "export",
      "--config",
      config,
      "--user",
      "Info@Example.TEST",
      "--format",
      "mbox",
      "--out",
      out,
    );
    assert.match(exported.stdout, new RegExp(`^Exported ${ALICE} as mbox`));

    const imported = await inProcess("import", [
      "--config",
      config,
      "--user",
      "dave@example.test",
      "--format",
      "mbox",
      "--from",
      out,
    ]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(
      imported.stdout,
      /into dave@example\.test: 9 mailbox\(es\), 6 message\(s\); the account now holds 6 message\(s\)/,
    );
    assert.ok((await accounts(dataDir)).includes("dave@example.test"));
  });

  it("reads the runner's directory.json with --data-dir, and mail of a user it no longer has", async (t) => {
    const dataDir = await tempDataDir(t);
    await fillDataDir(dataDir);
    await writeFile(
      join(dataDir, "directory.json"),
      JSON.stringify({
        users: [
          { address: "erin@example.test", name: "Erin", passwordHash: `$2b$12$${"a".repeat(53)}` },
        ],
        aliases: [{ address: "sales@example.test", to: "erin@example.test" }],
      }),
    );
    const md = join(await tempDataDir(t), "md");
    await mkdir(join(md, "cur"), { recursive: true });
    await writeFile(join(md, "cur", "1700000000.a.host:2,S"), "Subject: one\n\nbody\n");
    const viaAlias = await inProcess("import", [
      "--data-dir",
      dataDir,
      "--user",
      "sales@example.test",
      "--format",
      "maildir",
      "--from",
      md,
    ]);
    assert.equal(viaAlias.code, 0, viaAlias.stderr);
    assert.match(viaAlias.stdout, /into erin@example\.test: 1 mailbox\(es\), 1 message\(s\)/);

    // alice is not in this directory any more, but her mail is still stored.
    const out = join(await tempDataDir(t), "gone");
    const gone = await inProcess("export", [
      "--data-dir",
      dataDir,
      "--user",
      ALICE,
      "--format",
      "maildir",
      "--out",
      out,
    ]);
    assert.equal(gone.code, 0, gone.stderr);
    assert.match(gone.stdout, /6 message\(s\)/);
  });
});

describe("mailstack export and import refuse", () => {
  it("an unknown user, exit 67, and create no account", async (t) => {
    const dataDir = await tempDataDir(t);
    await fillDataDir(dataDir);
    const source = await tempDataDir(t);
    await writeFile(
      join(source, "INBOX.mbox"),
      `From x Sat Jan  3 01:05:34 1996\n${Buffer.from(message()).toString()}`,
    );
    const viaMain = await runCli(
      "import",
      "--data-dir",
      dataDir,
      "--user",
      "nobody@example.test",
      "--format",
      "mbox",
      "--from",
      source,
    );
    assert.equal(viaMain.code, 67, viaMain.stderr);
    assert.match(
      viaMain.stderr,
      /^mailstack import: nobody@example\.test: no directory to look it up in \(.*directory\.json is missing; with LDAP, give --config FILE\), and no mail stored under that id/,
    );
    const exported = await inProcess("export", [
      "--data-dir",
      dataDir,
      "--user",
      "nobody@example.test",
      "--format",
      "mbox",
      "--out",
      join(source, "x"),
    ]);
    assert.equal(exported.code, 67);
    assert.deepEqual(await accounts(dataDir), [ALICE, "bob@example.test"]);
  });

  it("an address the config's directory does not have, naming where it looked", async (t) => {
    const { config } = await stackConfig(t);
    const source = await tempDataDir(t);
    await writeFile(
      join(source, "INBOX.mbox"),
      "From x Sat Jan  3 01:05:34 1996\nSubject: s\n\nb\n",
    );
    const result = await inProcess("import", [
      "--config",
      config,
      "--user",
      "eve@example.test",
      "--format",
      "mbox",
      "--from",
      source,
    ]);
    assert.equal(result.code, 67, result.stderr);
    assert.match(
      result.stderr,
      /eve@example\.test: not among the users of .*Pulumi\.local\.yaml, and no mail/,
    );
  });

  it("to go over the user's quota: exit 1, saying how far it got", async (t) => {
    const dataDir = await tempDataDir(t);
    await writeDirectoryJson(dataDir, [ALICE]);
    const store = new SqliteMailStore({ dataDir });
    await store.openAccount(ALICE, { quota: { storageBytes: 1000 } });
    await store.close();
    const source = await tempDataDir(t);
    const entry = (n: number) =>
      `From x Sat Jan  3 01:05:34 1996\n${Buffer.from(message({ body: "x".repeat(300) + n })).toString()}\n`;
    await writeFile(join(source, "INBOX.mbox"), [1, 2, 3, 4, 5].map(entry).join(""));
    const result = await inProcess("import", [
      "--data-dir",
      dataDir,
      "--user",
      ALICE,
      "--format",
      "mbox",
      "--from",
      source,
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`${ALICE} is over quota \\(\\d+ of 1000 bytes\\) after \\d message\\(s\\)`),
    );
  });

  it("sources that hold nothing to import, and outputs that are not empty", async (t) => {
    const dataDir = await tempDataDir(t);
    await fillDataDir(dataDir);
    const empty = await tempDataDir(t);
    const file = join(empty, "Sent");
    await writeFile(file, "From x Sat Jan  3 01:05:34 1996\nSubject: s\n\nbody\n");
    const run = (command: "import" | "export", ...args: string[]) =>
      inProcess(command, ["--data-dir", dataDir, "--user", ALICE, ...args]);
    const cases: [Promise<{ code: number; stderr: string }>, number, RegExp][] = [
      [run("import", "--format", "maildir", "--from", join(empty, "none")), 66, /does not exist/],
      [
        run("import", "--format", "maildir", "--from", empty),
        65,
        /no Maildir in .*: expected cur\//,
      ],
      [run("import", "--format", "mbox", "--from", empty), 65, /no \*\.mbox file under/],
      [
        run("import", "--format", "mbox", "--from", file),
        65,
        /not a directory \(put the mbox file in a folder/,
      ],
      [run("export", "--format", "mbox", "--out", empty), 73, /is not empty/],
    ];
    for (const [result, code, expected] of cases) {
      const { code: got, stderr } = await result;
      assert.equal(got, code, stderr);
      assert.match(stderr, expected);
    }
    assert.deepEqual(await readdir(empty), ["Sent"]);
    assert.equal((await readFile(file, "utf8")).length > 0, true);
  });

  it("bad usage, exit 64, naming the option and what was expected", async (t) => {
    const dataDir = await tempDataDir(t);
    const viaMain = await runCli(
      "export",
      "--data-dir",
      dataDir,
      "--user",
      ALICE,
      "--format",
      "pst",
      "--out",
      "x",
    );
    assert.equal(viaMain.code, 64);
    assert.match(
      viaMain.stderr,
      /^mailstack export: --format must be maildir or mbox, not "pst"\n\nUsage: mailstack export/,
    );
    const cases: [string, string[], RegExp][] = [
      ["export", ["--format", "mbox", "--out", "x"], /--user ADDRESS is required/],
      ["export", ["--user", ALICE, "--out", "x"], /--format maildir\|mbox is required/],
      ["export", ["--user", ALICE, "--format", "mbox"], /--out DIR is required/],
      ["import", ["--user", ALICE, "--format", "mbox"], /--from DIR is required/],
      ["import", ["--user", "", "--format", "mbox", "--from", "x"], /--user ADDRESS is required/],
      [
        "import",
        ["--user", ALICE, "--format", "mbox", "--from", "x", "--out", "y"],
        /Unknown option '--out'/,
      ],
    ];
    for (const [command, args, expected] of cases) {
      const result = await inProcess(command as "export" | "import", [
        "--data-dir",
        dataDir,
        ...args,
      ]);
      assert.equal(result.code, 64, `${command} ${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, expected);
    }
  });
});
