/**
 * Command-line clients from Debian against the running server: curl's imaps:// and imap://
 * (STARTTLS) URLs, mbsync (isync) syncing both ways with a local Maildir, and neomutt driven by
 * pushed keys. Each is skipped, saying so, when its binary is missing, except in CI, which
 * installs them (apt-get install curl isync neomutt) and fails instead (test/helpers/required-tools.ts).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { skipWhenMissing } from "../../test/helpers/required-tools.ts";
import { account, createEnv, message, PASSWORD, seed, type TestEnv } from "./testing/harness.ts";
import { startTestServer, type RunningImap } from "./testing/server-fixture.ts";

const run = promisify(execFile);
const CURL = "/usr/bin/curl";
const MBSYNC = "/usr/bin/mbsync";
const NEOMUTT = "/usr/bin/neomutt";
/** util-linux's script(1) gives neomutt the terminal its index needs (bsdutils, essential). */
const SCRIPT = "/usr/bin/script";

describe("curl, mbsync and neomutt", () => {
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
    { skip: skipWhenMissing(!existsSync(CURL) && "no curl") },
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
    { skip: skipWhenMissing(!existsSync(MBSYNC) && "no mbsync") },
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

  it(
    "neomutt logs in, lists, fetches, flags, moves, appends and logs out",
    {
      skip: skipWhenMissing(
        !(existsSync(NEOMUTT) && existsSync(SCRIPT)) && "no neomutt (or no script)",
      ),
    },
    async () => {
      await seed(env, "grace", "INBOX", [
        message({ subject: "for neomutt one", date: "Mon, 7 Feb 2022 10:00:00 +0000" }),
        message({ subject: "for neomutt two", date: "Tue, 8 Feb 2022 10:00:00 +0000" }),
      ]);
      const setup = await account(env, "grace");
      await setup.setSubscribed("Archive", true);
      await setup.close();
      const dir = join(env.dir, "neomutt");
      await mkdir(dir, { recursive: true });
      // Sending goes nowhere; the copy kept in Sent is what exercises APPEND.
      const sink = join(dir, "sendmail");
      await writeFile(sink, "#!/bin/sh\ncat > /dev/null\n", { mode: 0o755 });
      const rc = join(dir, "neomuttrc");
      await writeFile(
        rc,
        [
          `set folder="imaps://grace%40example.test@localhost:${imap.implicitPort}/"`,
          `set imap_pass="${PASSWORD}"`,
          `set ssl_ca_certificates_file="${imap.caPath}"`,
          'set spoolfile="+INBOX" record="+Sent" postponed="+Drafts"',
          // LIST: the subscribed mailboxes are listed (LSUB) and polled (STATUS).
          "set imap_check_subscribed=yes imap_idle=no",
          'set header_cache="" message_cachedir=""',
          "set sort=date resolve=no mark_old=no move=no delete=yes quit=yes",
          "set confirmappend=no confirmcreate=no wait_key=no sleep_time=0 pager_stop=yes",
          `set sendmail="${sink}" editor="/bin/true" abort_unmodified=no`,
          'set from="grace@example.test" use_from=yes',
          "",
        ].join("\n"),
      );
      // Flag and read the first message, save it to Archive (COPY, \Deleted, EXPUNGE), write
      // and send a message (its copy APPENDed to Sent), sync, LOGOUT, quit.
      const keys = [
        "<flag-message><display-message><exit>",
        "<save-message>=Archive<enter>",
        "<mail>bob@example.org<enter>sent by neomutt<enter><send-message>",
        "<sync-mailbox><imap-logout-all><quit>",
      ].join("");
      const log = join(dir, "debug");
      const command = `${NEOMUTT} -n -F ${rc} -d 2 -l ${log} -e 'push "${keys}"'`;
      await run(SCRIPT, ["-qec", command, "/dev/null"], {
        env: { ...process.env, HOME: dir, TERM: "xterm" },
        timeout: 30_000,
      });
      const acct = await account(env, "grace");
      try {
        const inbox = await (await acct.openMailbox("INBOX")).list();
        assert.equal(inbox.length, 1, "the moved message left INBOX");
        const archive = await acct.openMailbox("Archive");
        const moved = await archive.list();
        assert.deepEqual(
          moved.map((m) => [...m.flags].sort()),
          [["\\Flagged", "\\Seen"]],
          "flagged and read, then moved",
        );
        const movedRaw = await archive.read(moved[0]?.uid ?? 0);
        assert.match(Buffer.from(movedRaw ?? []).toString(), /Subject: for neomutt one/);
        const sent = await acct.openMailbox("Sent");
        const [copy] = await sent.list();
        const sentRaw = await sent.read(copy?.uid ?? 0);
        assert.match(Buffer.from(sentRaw ?? []).toString(), /Subject: sent by neomutt/);
      } finally {
        await acct.close();
      }
      const commands = (await readFile(`${log}0`, "latin1"))
        .split("\n")
        .flatMap((line) => /\d> a\d+ (UID [A-Z]+|[A-Z]+)/.exec(line)?.[1] ?? []);
      for (const expected of [
        "AUTHENTICATE",
        "LSUB",
        "UID FETCH",
        "UID STORE",
        "UID COPY",
        "APPEND",
      ]) {
        assert.ok(commands.includes(expected), `${expected} in ${commands.join(", ")}`);
      }
      assert.equal(commands.at(-1), "LOGOUT");
    },
  );
});
