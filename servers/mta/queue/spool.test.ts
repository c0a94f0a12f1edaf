/** The spool on a real temporary directory: what is written, and what recovery makes of it. */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { MessageNotFoundError, InvalidQueueIdError, type SpoolCorruptError } from "./errors.ts";
import type { StoredEnvelope } from "./records.ts";
import { initialState } from "./recipient-state.ts";
import { isQueueId, newQueueId, noticeQueueId, Spool } from "./spool.ts";

let dir: string;
let spool: Spool;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-spool-"));
  spool = new Spool(dir);
  await spool.init();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function envelope(id = newQueueId()): StoredEnvelope {
  return {
    v: 1,
    id,
    from: "alice@local.test",
    recipients: [{ address: "bob@remote.test" }, { address: "carol@remote.test", notify: "never" }],
    origin: { kind: "submission", user: "alice@local.test" },
    arrivedAt: Date.now(),
    size: 5,
  };
}

describe("queue ids", () => {
  it("sort by time and are recognized; DSN ids derive from the message id", () => {
    const a = newQueueId(1_000_000);
    const b = newQueueId(2_000_000_000_000);
    assert.ok(a < b);
    assert.ok(isQueueId(a) && isQueueId(noticeQueueId(a, 3)));
    assert.equal(noticeQueueId(noticeQueueId(a, 1), 2), `${a}.n2`);
    for (const bad of ["../etc/passwd", "", "abc", `${a}/x`, `${a}.msg`])
      assert.equal(isQueueId(bad), false, bad);
    assert.throws(() => spool.messagePath("../x"), InvalidQueueIdError);
  });
});

describe("Spool", () => {
  it("stores envelope and bytes in one private file, and reads them back", async () => {
    const env = envelope();
    const raw = Buffer.from([0x61, 0x0a, 0xff, 0x00, 0x62]);
    await spool.writeMessage(env, raw);
    const back = await spool.readMessage(env.id);
    assert.deepEqual(back.envelope, env);
    assert.deepEqual(back.raw, raw);
    assert.deepEqual(await spool.readEnvelope(env.id), env);
    assert.equal((await stat(spool.messagePath(env.id))).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(spool.messagesDir), [`${env.id}.msg`], "no temp file left");
  });
  it("reads an envelope line longer than one read chunk", async () => {
    const env = {
      ...envelope(),
      recipients: Array.from({ length: 3000 }, (_, i) => ({ address: `user${i}@remote.test` })),
    };
    await spool.writeMessage(env, Buffer.from("x"));
    assert.equal((await spool.readEnvelope(env.id)).recipients.length, 3000);
  });
  it("refuses an exclusive write over an existing message", async () => {
    const env = envelope();
    await spool.writeMessage(env, Buffer.from("one"));
    await assert.rejects(spool.writeMessage(env, Buffer.from("two"), { exclusive: true }), {
      code: "EEXIST",
    });
    assert.deepEqual((await spool.readMessage(env.id)).raw, Buffer.from("one"));
  });
  it("starts from the initial state and keeps what is written", async () => {
    const env = envelope();
    await spool.writeMessage(env, Buffer.from("x"));
    assert.deepEqual(await spool.readState(env), initialState(env));
    const state = { ...initialState(env), noticeSeq: 2 };
    await spool.writeState(env.id, state);
    assert.deepEqual(await spool.readState(env), state);
  });
  it("removes the message and its state", async () => {
    const env = envelope();
    await spool.writeMessage(env, Buffer.from("x"));
    await spool.writeState(env.id, initialState(env));
    await spool.remove(env.id);
    await assert.rejects(spool.readEnvelope(env.id), MessageNotFoundError);
    assert.deepEqual(await readdir(spool.stateDir), []);
  });
});

describe("Spool.recover", () => {
  it("cleans temp files and orphan states, quarantines corrupt files, returns the rest", async () => {
    const good = envelope();
    const withState = envelope();
    await spool.writeMessage(good, Buffer.from("good"));
    await spool.writeMessage(withState, Buffer.from("w"));
    const saved = { ...initialState(withState), noticeSeq: 1 };
    await spool.writeState(withState.id, saved);
    // A write interrupted before its rename, a removal interrupted after the .msg went.
    await writeFile(join(spool.messagesDir, `.${newQueueId()}.msg.123.abc.tmp`), "partial");
    await writeFile(join(spool.stateDir, `${newQueueId()}.json`), "{}");
    // A message file that is not ours to read, and a state that does not fit its envelope.
    const bad = newQueueId();
    await writeFile(join(spool.messagesDir, `${bad}.msg`), "not json\nbody");
    const badState = envelope();
    await spool.writeMessage(badState, Buffer.from("b"));
    await writeFile(
      spool.statePath(badState.id),
      JSON.stringify({ v: 1, recipients: [], noticeSeq: 0 }),
    );

    const corrupt: SpoolCorruptError[] = [];
    const found = await spool.recover((e) => corrupt.push(e));
    const byId = new Map(found.map((m) => [m.envelope.id, m]));
    assert.deepEqual([...byId.keys()].sort(), [good.id, withState.id, badState.id].sort());
    assert.deepEqual(byId.get(withState.id)!.state, saved);
    assert.deepEqual(byId.get(badState.id)!.state, initialState(badState), "bad state: start over");
    assert.equal(corrupt.length, 2);
    assert.deepEqual(
      (await readdir(spool.messagesDir)).filter((n) => n.startsWith(".")),
      [],
    );
    assert.deepEqual((await readdir(spool.stateDir)).sort(), [`${withState.id}.json`]);
    const quarantined = await readdir(spool.corruptDir);
    assert.equal(quarantined.length, 2);
    assert.ok(quarantined.some((n) => n.startsWith(`${bad}.msg`)));
    assert.equal(
      await readFile(
        join(
          spool.corruptDir,
          quarantined.find((n) => n.startsWith(bad))!,
        ),
        "utf8",
      ),
      "not json\nbody",
    );
  });
});
