/**
 * `mailstack backup` and `restore`, run as an operator runs them (cli/main.ts in a child
 * process), on data directories filled through the store library.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { readManifest } from "../../servers/store/sqlite/backup.ts";
import { accountPath } from "../../servers/store/sqlite/database.ts";
import { SqliteMailStore } from "../../servers/store/sqlite/sqlite-store.ts";
import { checkConsistency } from "../../servers/store/testing/consistency.ts";
import { message, tempDataDir } from "../../servers/store/testing/fixtures.ts";
import { spawnChild } from "../../servers/store/testing/spawn.ts";
import { writeStatus } from "../runner/status-file.ts";
import {
  ALICE,
  BOB,
  DATA_FILES,
  fillDataDir,
  picture,
  QUEUE_ID,
  readDataFilesOf,
  spamTokens,
  writeDataFiles,
} from "./testing/fill.ts";
import type { StoreCommandName } from "./store-command.ts";
import { inProcess, runCli, runCliOk } from "./testing/run-cli.ts";

async function pictures(dataDir: string, users: readonly string[]) {
  const store = new SqliteMailStore({ dataDir });
  try {
    const out: Record<string, unknown> = {};
    for (const user of users) {
      const account = await store.openAccount(user);
      out[user] = await picture(account);
      await account.close();
    }
    return out;
  } finally {
    await store.close();
  }
}

async function uidValidities(dataDir: string, user: string): Promise<number[]> {
  const store = new SqliteMailStore({ dataDir });
  const account = await store.openAccount(user);
  const values = (await account.listMailboxes()).map((b) => b.uidValidity);
  await store.close();
  return values;
}

/** A filled data directory and its backup. */
async function backedUp(t: TestContext) {
  const dataDir = await tempDataDir(t);
  await fillDataDir(dataDir);
  await writeDataFiles(dataDir);
  const backupDir = join(await tempDataDir(t), "backup");
  const backup = await runCliOk("backup", "--data-dir", dataDir, "--out", backupDir);
  return { dataDir, backupDir, backup };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid ?? 0;
}

describe("mailstack backup, then restore into a new data directory", () => {
  it("gives back every message byte for byte, with flags, keywords, folders and subscriptions", async (t) => {
    const { dataDir, backupDir, backup } = await backedUp(t);
    assert.match(backup.stdout, /mail {23}2 account\(s\), 7 message\(s\), \d+ bytes/);
    assert.match(backup.stdout, /queue {22}1 message\(s\)/);
    const listed = await readdir(backupDir);
    for (const left of ["tls", "directory.json", "status.json"]) assert.ok(!listed.includes(left));

    const target = join(await tempDataDir(t), "restored");
    const restore = await runCliOk("restore", "--from", backupDir, "--data-dir", target);
    assert.match(restore.stdout, /mail {23}2 account\(s\), 7 message\(s\)/);
    assert.match(restore.stdout, /new UIDVALIDITY/);

    assert.deepEqual(await pictures(target, [ALICE, BOB]), await pictures(dataDir, [ALICE, BOB]));
    assert.deepEqual(await readDataFilesOf(target), await readDataFilesOf(dataDir));
    assert.deepEqual(spamTokens(target), [{ token: "viagra", spam: 12, ham: 0 }]);
    for (const user of [ALICE, BOB]) {
      assert.deepEqual(checkConsistency(accountPath(target, user)), []);
    }
  });

  it("reports in JSON, and the backup lists every file with its checksum", async (t) => {
    const dataDir = await tempDataDir(t);
    await fillDataDir(dataDir);
    await writeDataFiles(dataDir);
    const out = join(await tempDataDir(t), "b");
    const report = JSON.parse(
      (await runCliOk("backup", "--data-dir", dataDir, "--out", out, "--json")).stdout,
    ) as { accounts: { userId: string; messages: number }[]; files: { path: string }[] };
    assert.deepEqual(
      report.accounts.map((a) => [a.userId, a.messages]),
      [
        [ALICE, 6],
        [BOB, 1],
      ],
    );
    assert.deepEqual(
      report.files.map((f) => f.path).sort(),
      [...Object.keys(DATA_FILES), "spam/spam.sqlite"].sort(),
    );
    const listed = JSON.parse(await readFile(join(out, "data-files.json"), "utf8")) as {
      files: { path: string; sha256: string }[];
    };
    assert.ok(listed.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256)));
  });
});

describe("mailstack backup while another process keeps appending", () => {
  it("takes a consistent snapshot of each mailbox, and it restores", async (t) => {
    const dataDir = await tempDataDir(t);
    const user = "busy@example.test";
    const child = spawnChild([dataDir, user, "loop", "live"]);
    t.after(() => child.process.kill("SIGKILL"));
    await child.waitFor((l) => l === "ready");
    await child.waitFor((l) => l.startsWith("ack live-40 "));
    const backupDir = join(await tempDataDir(t), "b");
    await runCliOk("backup", "--data-dir", dataDir, "--out", backupDir);
    // The appender kept going during and after the backup.
    const last = child.lines.filter((l) => l.startsWith("ack ")).length;
    await child.waitFor((l) => l.startsWith(`ack live-${last + 40} `));
    child.process.kill("SIGKILL");
    await child.exited;

    assert.deepEqual(checkConsistency(accountPath(backupDir, user)), []);
    const target = join(await tempDataDir(t), "restored");
    await runCliOk("restore", "--from", backupDir, "--data-dir", target);
    assert.deepEqual(checkConsistency(accountPath(target, user)), []);

    const live = new SqliteMailStore({ dataDir });
    const restored = new SqliteMailStore({ dataDir: target });
    t.after(() => Promise.all([live.close(), restored.close()]));
    const liveInbox = await (await live.openAccount(user)).openMailbox("INBOX");
    const restoredInbox = await (await restored.openAccount(user)).openMailbox("INBOX");
    const backedUp = await restoredInbox.list();
    assert.ok(backedUp.length >= 40, `${backedUp.length} messages in the backup`);
    assert.ok(backedUp.length < (await liveInbox.list()).length, "the live store moved on");
    for (const m of backedUp) {
      assert.deepEqual(
        await restoredInbox.read(m.uid),
        await liveInbox.read(m.uid),
        `uid ${m.uid}`,
      );
    }
  });
});

describe("mailstack restore refuses", () => {
  it("while mailstack runs on the data directory, and writes nothing", async (t) => {
    const { backupDir } = await backedUp(t);
    const target = await tempDataDir(t);
    const status = {
      runner: { pid: process.pid, startedAt: "2026-01-01T00:00:00.000Z", config: "test" },
      caFile: join(target, "ca", "ca.pem"),
      servers: [],
      updatedAt: "2026-01-01T00:00:00.000Z",
    };
    await writeStatus(target, status);
    const refused = await runCli("restore", "--from", backupDir, "--data-dir", target);
    assert.equal(refused.code, 75, refused.stderr);
    assert.match(refused.stderr, new RegExp(`runner pid ${process.pid}`));
    assert.match(refused.stderr, /Stop it first/);
    assert.deepEqual(await readdir(target), ["status.json"]);

    // A server left alive by a runner that was killed counts too.
    await writeStatus(target, {
      ...status,
      runner: { ...status.runner, pid: await deadPid() },
      servers: [{ name: "imap", pid: process.pid, endpoints: [], restarts: 0, state: "running" }],
    });
    const orphan = await runCli("restore", "--from", backupDir, "--data-dir", target);
    assert.equal(orphan.code, 75);
    assert.match(orphan.stderr, new RegExp(`imap pid ${process.pid}`));

    // A status file left by a run that is over is no obstacle.
    await writeStatus(target, { ...status, runner: { ...status.runner, pid: await deadPid() } });
    await runCliOk("restore", "--from", backupDir, "--data-dir", target);
  });

  it("to replace mail or keys the data directory has, unless --force", async (t) => {
    const { dataDir, backupDir } = await backedUp(t);
    const before = await pictures(dataDir, [ALICE, BOB]);
    const validities = await uidValidities(dataDir, ALICE);
    // After the backup: alice gets more mail and the CA changes; carol is not in the backup.
    const store = new SqliteMailStore({ dataDir });
    await (await store.openAccount(ALICE)).append("INBOX", message({ subject: "later" }));
    await (await store.openAccount("carol@example.test")).append("INBOX", message());
    await store.close();
    await writeFile(join(dataDir, "ca", "ca.pem"), "another CA\n");

    const refused = await runCli("restore", "--from", backupDir, "--data-dir", dataDir);
    assert.equal(refused.code, 73, refused.stderr);
    assert.match(refused.stderr, new RegExp(`the mail of ${ALICE}\n {2}the mail of ${BOB}\n`));
    assert.match(refused.stderr, /ca\/ca\.pem \(different from the backup's\)/);
    assert.match(refused.stderr, /Add --force/);
    assert.doesNotMatch(refused.stderr, /ca-key\.pem|dkim/, "identical files are no conflict");
    assert.equal(await readFile(join(dataDir, "ca", "ca.pem"), "utf8"), "another CA\n");

    const forced = await runCliOk("restore", "--from", backupDir, "--data-dir", dataDir, "--force");
    assert.match(forced.stdout, new RegExp(`replacing ${ALICE}, ${BOB}`));
    assert.deepEqual(await pictures(dataDir, [ALICE, BOB]), before);
    assert.equal(
      await readFile(join(dataDir, "ca", "ca.pem"), "utf8"),
      DATA_FILES["ca/ca.pem"]?.data,
    );
    for (const v of await uidValidities(dataDir, ALICE)) assert.ok(!validities.includes(v));
    const carol = await pictures(dataDir, ["carol@example.test"]);
    assert.equal(
      (carol["carol@example.test"] as { mailboxes: { INBOX: { messages: [] } } }).mailboxes.INBOX
        .messages.length,
      1,
      "an account the backup does not have is left alone",
    );
  });

  it("a backup that is incomplete or damaged, before touching anything", async (t) => {
    const { backupDir } = await backedUp(t);
    const target = join(await tempDataDir(t), "restored");
    await writeFile(join(backupDir, "ca", "ca-key.pem"), "tampered\n");
    // The 700 KB message's body is a file beside alice's snapshot.
    const manifest = await readManifest(backupDir);
    const body = manifest.accounts.flatMap((a) => a.bodyFiles ?? [])[0];
    assert.ok(body, "the backup lists a body file");
    await rm(join(backupDir, body.file));
    const damaged = await runCli("restore", "--from", backupDir, "--data-dir", target);
    assert.equal(damaged.code, 65, damaged.stderr);
    assert.match(
      damaged.stderr,
      /damaged:\n {2}\S+\/blobs\/\S+ \(alice@example\.test\) is missing/,
    );
    assert.match(damaged.stderr, /ca\/ca-key\.pem differs from its checksum/);
    assert.deepEqual(await readdir(join(target, "..")), []);

    const empty = await tempDataDir(t);
    const missing = await runCli("restore", "--from", empty, "--data-dir", target);
    assert.equal(missing.code, 66);
    assert.match(missing.stderr, /manifest\.json is missing/);
  });
});

describe("mailstack restore and the queue", () => {
  it("merges: a message the queue has keeps its state, --no-queue leaves the queue out", async (t) => {
    const { backupDir } = await backedUp(t);
    const target = await tempDataDir(t);
    const state = join(target, "queue", "state", `${QUEUE_ID}.json`);
    await mkdir(join(target, "queue", "state"), { recursive: true });
    await mkdir(join(target, "queue", "messages"), { recursive: true });
    await writeFile(join(target, "queue", "messages", `${QUEUE_ID}.msg`), "newer\n");
    await writeFile(state, '{"recipients":["tried since"]}\n');
    const merged = await runCliOk("restore", "--from", backupDir, "--data-dir", target);
    assert.match(merged.stdout, /the queue already held 1 of its messages: kept as they are/);
    assert.equal(await readFile(state, "utf8"), '{"recipients":["tried since"]}\n');

    const bare = join(await tempDataDir(t), "no-queue");
    await runCliOk("restore", "--from", backupDir, "--data-dir", bare, "--no-queue");
    assert.ok(!(await readdir(bare)).includes("queue"));
    assert.ok((await readdir(bare)).includes("dkim"));
  });
});

describe("mailstack backup and restore usage", () => {
  it("names the option and what was expected, exit 64", async (t) => {
    const dataDir = await tempDataDir(t);
    const viaMain = await runCli("backup", "--data-dir", dataDir);
    assert.equal(viaMain.code, 64);
    assert.match(
      viaMain.stderr,
      /^mailstack backup: --out DIR is required\n\nUsage: mailstack backup/,
    );
    const cases: [string[], RegExp][] = [
      [["backup", "--out"], /--out <value>' argument missing/],
      [["backup", "--out", "x", "--data-dir", dataDir, "--config", "c.yaml"], /not both/],
      [["backup", "--out", "x", "--frobnicate"], /Unknown option '--frobnicate'/],
      [["restore", "--data-dir", dataDir], /--from DIR is required/],
      [["restore", "--from", "x", "extra"], /Unexpected argument 'extra'/],
    ];
    for (const [[name, ...args], expected] of cases) {
      const result = await inProcess(name as StoreCommandName, args);
      assert.equal(result.code, 64, `${name} ${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, expected);
      assert.match(result.stderr, new RegExp(`Usage: mailstack ${name}`));
    }
  });
  it("refuses a backup into a directory that is not empty, or of no data directory", async (t) => {
    const dataDir = await tempDataDir(t);
    await fillDataDir(dataDir);
    const notEmpty = await runCli("backup", "--data-dir", dataDir, "--out", dataDir);
    assert.equal(notEmpty.code, 73);
    assert.match(notEmpty.stderr, /is not empty/);
    const none = await runCli(
      "backup",
      "--data-dir",
      join(dataDir, "nope"),
      "--out",
      join(dataDir, "b"),
    );
    assert.equal(none.code, 66);
    assert.match(none.stderr, /no data directory at/);
  });
});
