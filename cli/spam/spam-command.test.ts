/**
 * `mailstack spam seed` and `status` on a real data directory: a small corpus in the folder
 * layout operators give it, the refusal to seed twice, and what status reports.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readSpamState } from "../../servers/spam/seed.ts";
import { spamCommand } from "./spam-command.ts";

let dir: string;
let dataDir: string;
let corpus: string;

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await spamCommand([...args, "--data-dir", dataDir], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

const message = (subject: string, body: string) =>
  `From: someone@remote.test\r\nTo: demo@example.test\r\nSubject: ${subject}\r\n` +
  `Message-ID: <${subject.replace(/\W/g, "")}@remote.test>\r\n\r\n${body}\r\n`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-spam-cli-"));
  dataDir = join(dir, "data");
  corpus = join(dir, "corpus");
  // Maildir-like nesting for spam, flat ham, an mbox "From " line, and an index file to skip.
  await mkdir(join(corpus, "spam", "cur"), { recursive: true });
  await mkdir(join(corpus, "ham"), { recursive: true });
  for (let i = 0; i < 3; i++) {
    await writeFile(
      join(corpus, "spam", "cur", `${i}.eml`),
      message(`cheap pills ${i}`, "Buy cheap pills now, best price, click here"),
    );
  }
  await writeFile(
    join(corpus, "spam", "mbox-line.eml"),
    `From spammer@remote.test Mon Nov 30 07:00:00 2026\n${message("winner", "You won a prize")}`,
  );
  await writeFile(join(corpus, "spam", "cmds"), "mv 00001.eml spam/\n");
  for (let i = 0; i < 2; i++) {
    await writeFile(
      join(corpus, "ham", `${i}.eml`),
      message(`meeting ${i}`, "The minutes of Tuesday's meeting are attached"),
    );
  }
});
after(() => rm(dir, { recursive: true, force: true }));

describe("mailstack spam", () => {
  it("status before anything: no database is an error", async () => {
    const r = await run("status");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no spam database/);
  });

  it("seed: without --from is a usage error", async () => {
    assert.equal((await run("seed")).code, 64);
  });

  it("seed: a corpus without ham/ is refused before anything is written", async () => {
    const onlySpam = join(dir, "only-spam");
    await mkdir(join(onlySpam, "spam"), { recursive: true });
    await writeFile(join(onlySpam, "spam", "1.eml"), message("pills", "cheap"));
    const r = await run("seed", "--from", onlySpam);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /only-spam\/ham does not exist/);
    assert.match((await run("status")).stderr, /no spam database/);
  });

  it("seed: learns every message under spam/ and ham/, skips what is not mail", async () => {
    const r = await run("seed", "--from", corpus);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /with 4 spam and 2 ham/);
    assert.match(r.stderr, /skipped 1 files.*cmds/);
    const state = readSpamState(dataDir);
    assert.deepEqual(state.global.bayes, { spam: 4, ham: 2 });
    assert.equal(state.global.ngramVersion, 1);
    assert.deepEqual(state.users, {});
  });

  it("seed: a second seed is refused, --force adds to the model", async () => {
    const again = await run("seed", "--from", corpus);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already learned 4 spam and 2 ham.*--force/);
    assert.equal((await run("seed", "--from", corpus, "--force")).code, 0);
    assert.deepEqual(readSpamState(dataDir).global.bayes, { spam: 8, ham: 4 });
  });

  it("status: text and JSON", async () => {
    const text = await run("status");
    assert.equal(text.code, 0);
    assert.match(text.stdout, /global: Bayes 8 spam \/ 4 ham; n-gram version 2/);
    assert.match(text.stdout, /users: none/);
    const json = await run("status", "--json");
    assert.deepEqual((JSON.parse(json.stdout) as { global: { bayes: unknown } }).global.bayes, {
      spam: 8,
      ham: 4,
    });
  });

  it("an unknown subcommand is a usage error", async () => {
    assert.equal((await run("train")).code, 64);
  });

  it("help prints the usage and succeeds, as the other commands do", async () => {
    const help = await run("help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: mailstack spam seed/);
  });
});
