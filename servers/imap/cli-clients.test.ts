/**
 * Command-line clients from Debian against the running server: curl's imaps:// and imap://
 * (STARTTLS) URLs, and mbsync (isync) syncing both ways with a local Maildir. Each is skipped,
 * saying so, when its binary is missing (.ci/run installs them: apt-get install curl isync).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { account, createEnv, message, PASSWORD, seed, type TestEnv } from "./testing/harness.ts";
import { startTestServer, type RunningImap } from "./testing/server-fixture.ts";

const run = promisify(execFile);
const CURL = "/usr/bin/curl";
const MBSYNC = "/usr/bin/mbsync";

describe("curl and mbsync", () => {
  let env: TestEnv;
  let imap: RunningImap;
  before(async () => {
    env = await createEnv();
    imap = await startTestServer(env);
  });
  after(async () => {
    await imap.server.stop();
    await env.close();
  });

  const curl = (url: string, ...args: string[]) =>
    run(CURL, [
      "-sS",
      "--cacert",
      imap.caPath,
      "--user",
      `erin@example.test:${PASSWORD}`,
      ...args,
      url,
    ]);

  it(
    "curl lists, fetches, flags and appends over imaps:// and STARTTLS",
    { skip: !existsSync(CURL) && "no curl" },
    async () => {
      await seed(env, "erin", "INBOX", [message({ subject: "for curl", body: "curl body" })]);
      const base = `imaps://localhost:${imap.implicitPort}`;
      const list = await curl(`${base}/`);
      assert.match(list.stdout, /\* LIST \(\\HasNoChildren \\Junk\) "\/" "?Junk"?/);
      const fetched = await curl(`${base}/INBOX/;UID=1`);
      assert.match(fetched.stdout, /Subject: for curl/);
      assert.match(fetched.stdout, /curl body/);
      const stored = await curl(`${base}/INBOX`, "-X", "UID STORE 1 +FLAGS (\\Flagged)");
      assert.match(stored.stdout, /FLAGS \(.*\\Flagged/);
      const file = join(env.dir, "upload.eml");
      await writeFile(file, message({ subject: "uploaded by curl" }));
      await curl(`${base}/INBOX`, "-T", file);
      const starttls = await curl(
        `imap://localhost:${imap.starttlsPort}/INBOX`,
        "--ssl-reqd",
        "-X",
        "SEARCH SUBJECT curl",
      );
      assert.match(starttls.stdout, /\* SEARCH 1 2/);
    },
  );

  it(
    "mbsync pulls, then pushes flags, moves and new messages back",
    { skip: !existsSync(MBSYNC) && "no mbsync" },
    async () => {
      await seed(env, "frank", "INBOX", [
        message({ subject: "sync one" }),
        message({ subject: "sync two" }),
      ]);
      const local = join(env.dir, "maildir");
      await mkdir(local, { recursive: true });
      const rc = join(env.dir, "mbsyncrc");
      await writeFile(
        rc,
        [
          "IMAPAccount test",
          "Host localhost",
          `Port ${imap.implicitPort}`,
          "User frank@example.test",
          `Pass "${PASSWORD}"`,
          "SSLType IMAPS",
          `CertificateFile ${imap.caPath}`,
          "",
          "IMAPStore remote",
          "Account test",
          "",
          "MaildirStore local",
          `Path ${local}/`,
          `Inbox ${local}/INBOX`,
          "SubFolders Verbatim",
          "",
          "Channel sync",
          "Far :remote:",
          "Near :local:",
          "Patterns *",
          "Create Both",
          "Expunge Both",
          "SyncState *",
          "",
        ].join("\n"),
      );
      await run(MBSYNC, ["-c", rc, "-a", "-q"]);
      const inboxNew = join(local, "INBOX", "new");
      const inboxCur = join(local, "INBOX", "cur");
      const files = [...(await readdir(inboxNew)), ...(await readdir(inboxCur))];
      assert.equal(files.length, 2, "both messages pulled");
      assert.ok(existsSync(join(local, "Junk")), "mailboxes pulled");
      // Flag one message locally (Maildir "F" flag), add a new one to Archive.
      const [first, second] = await readdir(inboxNew);
      assert.ok(first && second);
      await rename(join(inboxNew, first), join(inboxCur, `${first.replace(/:2,.*$/, "")}:2,FS`));
      // A local move: mbsync deletes it from INBOX (expunge) and uploads it to Trash.
      await rename(join(inboxNew, second), join(local, "Trash", "new", `${Date.now()}.moved:2,`));
      const archiveNew = join(local, "Archive", "new");
      await writeFile(
        join(archiveNew, `${Date.now()}.local.mbsync:2,`),
        message({ subject: "written locally" }),
      );
      await run(MBSYNC, ["-c", rc, "-a", "-q"]);
      const acct = await account(env, "frank");
      try {
        const inbox = await acct.openMailbox("INBOX");
        const listed = await inbox.list();
        assert.equal(listed.length, 1, "the moved message left INBOX");
        assert.equal((await acct.status("Trash")).messages, 1, "and arrived in Trash");
        const flags = listed.map((m) => m.flags.join(" "));
        assert.ok(
          flags.some((f) => f.includes("\\Flagged") && f.includes("\\Seen")),
          `flags pushed: ${flags.join(" | ")}`,
        );
        const archive = await acct.openMailbox("Archive");
        const pushed = await archive.list();
        assert.equal(pushed.length, 1);
        const raw = await archive.read(pushed[0]?.uid ?? 0);
        assert.match(Buffer.from(raw ?? []).toString(), /Subject: written locally/);
      } finally {
        await acct.close();
      }
      assert.match(await readFile(rc, "utf8"), /Channel sync/);
    },
  );
});
