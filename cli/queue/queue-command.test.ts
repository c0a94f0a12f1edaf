/**
 * `mailstack queue` on a real spool: with no MTA running (the command takes the lock and edits
 * the spool) and with a running queue in this process (the command sends requests it applies).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import type { Deliverer } from "../../servers/mta/outbound/delivery.ts";
import { silentLog } from "../../servers/mta/outbound/testing/net.ts";
import {
  defaultSpoolDir,
  queueConfigSchema,
  type QueueConfig,
} from "../../servers/mta/queue/config.ts";
import { openQueue, type QueueService } from "../../servers/mta/queue/index.ts";
import { waitFor } from "../../servers/mta/queue/testing/wait.ts";
import type { EnqueueInput } from "../../servers/mta/queue/types.ts";
import { queueCommand } from "./queue-command.ts";

let dataDir: string;
let config: QueueConfig;
let attempts = 0;

/** Every attempt fails temporarily; the next one would be an hour away. */
const deliverer: Deliverer = {
  deliver(job) {
    attempts++;
    return Promise.resolve(
      new Map(
        job.recipients.map((r) => [
          r.index,
          { kind: "temporary" as const, result: { status: "4.4.1", text: "no MX host answered" } },
        ]),
      ),
    );
  },
};

const input = (to: string, subject: string): EnqueueInput => ({
  from: "alice@local.test",
  recipients: [{ address: to }],
  raw: Buffer.from(`From: alice@local.test\r\nSubject: ${subject}\r\n\r\nbody\r\n`),
  origin: { kind: "submission", user: "alice@local.test" },
});

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await queueCommand([...args, "--data-dir", dataDir], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "mailstack-cli-queue-"));
  config = queueConfigSchema.parse({
    spoolDir: defaultSpoolDir(dataDir),
    hostname: "mta.local.test",
    retry: { firstSeconds: 3600 },
    delayWarningSeconds: 0,
  });
});
after(() => rm(dataDir, { recursive: true, force: true }));

async function attempted(): Promise<{ ids: string[] }> {
  const q = await openQueue(config, { log: silentLog, deliverer });
  const ids = [
    await q.queue.enqueue(input("bob@remote.test", "first")),
    await q.queue.enqueue(input("carol@remote.test", "second")),
  ];
  q.start();
  await waitFor("first attempts", () => q.list().every((m) => m.recipients[0]!.attempts === 1));
  await q.stop();
  return { ids };
}

describe("mailstack queue, no MTA running", () => {
  let ids: string[];
  before(async () => ({ ids } = await attempted()));

  it("lists the queue", async () => {
    const { code, stdout } = await run("list");
    assert.equal(code, 0);
    for (const id of ids) assert.match(stdout, new RegExp(`^${id} `, "m"));
    assert.match(
      stdout,
      /bob@remote\.test {2}pending, 1 attempt\(s\), next .* \(4\.4\.1 no MX host answered\)/,
    );
    assert.match(stdout, /-- 2 message\(s\), 2 recipient\(s\) pending\./);
    const json = JSON.parse((await run("list", "--json")).stdout) as { id: string }[];
    assert.deepEqual(
      json.map((e) => e.id),
      ids,
    );
  });
  it("shows one message with its header", async () => {
    const { code, stdout } = await run("show", ids[0]!);
    assert.equal(code, 0);
    assert.match(stdout, /Origin: {6}submission \(user alice@local\.test\)/);
    assert.match(stdout, /Message header:\n {2}From: alice@local\.test\n {2}Subject: first/);
  });
  it("makes a message due now with retry", async () => {
    const before = JSON.parse((await run("show", ids[0]!, "--json")).stdout) as ShowJson;
    assert.ok(Date.parse(before.recipients[0]!.nextAttemptAt) > Date.now() + 3_000_000);
    const { code, stdout } = await run("retry", ids[0]!);
    assert.equal(code, 0);
    assert.match(stdout, /done on the spool \(1 message\(s\)\); no MTA is running/);
    const after = JSON.parse((await run("show", ids[0]!, "--json")).stdout) as ShowJson;
    assert.ok(Date.parse(after.recipients[0]!.nextAttemptAt) <= Date.now());
  });
  it("deletes a message", async () => {
    assert.equal((await run("delete", ids[1]!)).code, 0);
    assert.doesNotMatch((await run("list")).stdout, new RegExp(ids[1]!));
    assert.equal((await run("show", ids[1]!)).code, 1);
  });
  it("refuses bad input with a usage error or not found", async () => {
    assert.equal((await run("retry")).code, 64);
    assert.equal((await run("retry", ids[0]!, "--all")).code, 64);
    assert.equal((await run("delete")).code, 64);
    assert.equal((await run("frobnicate")).code, 64);
    const traversal = await run("show", "../../etc/passwd");
    assert.equal(traversal.code, 1);
    assert.match(traversal.stderr, /not a queue id/);
    assert.equal((await run("delete", "0lq3zzzzz0123456789a")).code, 1);
  });
});

describe("mailstack queue show, envelope parameters", () => {
  let id: string;
  before(async () => {
    const q = await openQueue(config, { log: silentLog, deliverer });
    id = await q.queue.enqueue({
      ...input("erin@remote.test", "parameters"),
      recipients: [
        {
          address: "erin@remote.test",
          notify: ["success", "failure"],
          orcpt: "rfc822;erin@remote.test",
        },
        { address: "frank@remote.test" },
      ],
      dsn: { ret: "headers", envid: "QQ314159" },
      smtpUtf8: true,
      eightBitMime: true,
      requireTls: true,
    });
    await q.stop();
  });

  it("shows SMTPUTF8, BODY=8BITMIME, RET, ENVID, REQUIRETLS, NOTIFY and ORCPT", async () => {
    const { code, stdout } = await run("show", id);
    assert.equal(code, 0);
    assert.match(
      stdout,
      /^MAIL FROM: {3}SMTPUTF8 BODY=8BITMIME RET=HDRS ENVID=QQ314159 REQUIRETLS$/m,
    );
    assert.match(
      stdout,
      /^ {2}erin@remote\.test\n {4}RCPT: {5}NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;erin@remote\.test$/m,
    );
    assert.match(
      stdout,
      /^ {2}frank@remote\.test\n {4}status:/m,
      "no RCPT line without parameters",
    );
    const json = JSON.parse((await run("show", id, "--json")).stdout) as {
      smtpUtf8: boolean;
      eightBitMime: boolean;
      dsn: unknown;
      recipients: { notify?: unknown; orcpt?: string }[];
    };
    assert.deepEqual(
      [json.smtpUtf8, json.eightBitMime, json.dsn, json.recipients[0]?.notify],
      [true, true, { ret: "headers", envid: "QQ314159" }, ["success", "failure"]],
    );
  });
  it("says so when MAIL FROM had no parameters", async () => {
    const q = await openQueue(config, { log: silentLog, deliverer });
    const plain = await q.queue.enqueue(input("gina@remote.test", "plain"));
    await q.stop();
    assert.match((await run("show", plain)).stdout, /^MAIL FROM: {3}\(no parameters\)$/m);
    assert.equal((await run("delete", plain)).code, 0);
  });
  after(async () => {
    assert.equal((await run("delete", id)).code, 0);
  });
});

interface ShowJson {
  recipients: { nextAttemptAt: string }[];
}

describe("mailstack queue, MTA running", () => {
  let service: QueueService;
  let id: string;
  before(async () => {
    service = await openQueue(config, { log: silentLog, deliverer });
    id = await service.queue.enqueue(input("dave@remote.test", "third"));
    service.start();
    await waitFor("first attempt", () => service.show(id).recipients[0]!.attempts === 1);
  });
  after(() => service.stop());

  it("asks the running queue to retry, which attempts again at once", async () => {
    const before = attempts;
    const { code, stdout } = await run("retry", id);
    assert.equal(code, 0, stdout);
    assert.match(stdout, new RegExp(`applied by the running MTA \\(pid ${process.pid}\\)`));
    await waitFor("second attempt", () => service.show(id).recipients[0]!.attempts === 2);
    assert.ok(attempts > before);
    assert.equal((await run("retry", "--all")).code, 0);
  });
  it("asks the running queue to delete, which removes the message", async () => {
    const { code } = await run("delete", id);
    assert.equal(code, 0);
    assert.equal(
      service.list().some((m) => m.id === id),
      false,
    );
    assert.equal(existsSync(join(config.spoolDir, "messages", `${id}.msg`)), false);
  });
});

describe("mailstack queue through cli/main.ts", () => {
  it("runs as a subcommand", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "cli/main.ts", "queue", "list", "--data-dir", dataDir, "--json"],
      { cwd: join(import.meta.dirname, "..", "..") },
    );
    assert.ok(Array.isArray(JSON.parse(stdout)));
  });
});
