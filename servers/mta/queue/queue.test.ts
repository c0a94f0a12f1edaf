/**
 * The queue end to end over real sockets and files: a real `named` for MX records, fake remote
 * MX hosts on 127.0.0.x that answer 4xx then 2xx, 5xx, or nothing, and a fake LMTP server as the
 * local MDA where bounces to the (local) sender arrive. The retry schedule is shrunk to tenths of
 * a second so retries, delay warnings and expiry happen within a test.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startNamed, type Named } from "../../../test/helpers/bind.ts";
import type { FakeSmtp } from "../outbound/testing/fake-smtp.ts";
import { commonFreePort, message, startFakes } from "../outbound/testing/net.ts";
import { queueConfigSchema, type QueueConfig } from "./config.ts";
import { openQueue, type QueueService } from "./index.ts";
import { parseDsn } from "./testing/dsn-parse.ts";
import { captureLog, waitFor, type CapturedLog } from "./testing/wait.ts";
import type { EnqueueInput } from "./types.ts";

const ZONE = `$TTL 60
@      IN SOA ns.remote.test. hostmaster.remote.test. 1 60 60 600 60
@      IN NS  ns.remote.test.
ns     IN A   127.0.0.1
flaky  IN MX  10 mx.flaky.remote.test.
mx.flaky IN A 127.0.0.21
reject IN MX  10 mx.reject.remote.test.
mx.reject IN A 127.0.0.22
down   IN MX  10 mx.down.remote.test.
mx.down IN A  127.0.0.23
ok     IN MX  10 mx.ok.remote.test.
mx.ok  IN A   127.0.0.25
nullmx IN MX  0 .
`;

let named: Named;
let dir: string;
let fakes: Record<string, FakeSmtp>;
let closeFakes: () => Promise<void>;
let config: QueueConfig;
let captured: CapturedLog;
let service: QueueService;
const flakyTimes: number[] = [];

before(async () => {
  named = await startNamed([{ zone: "remote.test", text: ZONE }]);
  dir = await mkdtemp(join(tmpdir(), "mailstack-queue-"));
  const port = await commonFreePort([
    "127.0.0.21",
    "127.0.0.22",
    "127.0.0.24",
    "127.0.0.25",
    "127.0.0.23",
  ]);
  ({ fakes, close: closeFakes } = await startFakes({
    flaky: {
      host: "127.0.0.21",
      port,
      // 4xx twice, then 2xx: the retry path.
      rcpt: (_a, n) => {
        flakyTimes.push(Date.now());
        return n <= 2 ? "451 4.3.0 try again later" : undefined;
      },
    },
    reject: { host: "127.0.0.22", port, rcpt: () => "550 5.1.1 no such user here" },
    ok: { host: "127.0.0.25", port },
    mda: {
      host: "127.0.0.24",
      port,
      lmtp: true,
      rcpt: (a) => (a.endsWith("@local.test") ? undefined : "550 5.1.1 not local"),
    },
  }));
  config = queueConfigSchema.parse({
    spoolDir: join(dir, "spool"),
    hostname: "mta.local.test",
    retry: { firstSeconds: 0.15, factor: 2, maxSeconds: 0.6 },
    expirySeconds: 1.5,
    delayWarningSeconds: 0.4,
    outbound: { port },
    resolver: { servers: [`127.0.0.1:${named.port}`], timeoutMs: 1000, tries: 1 },
    timeouts: { connectSeconds: 1, greetingSeconds: 2, idleSeconds: 5 },
    local: { domains: ["local.test"], lmtp: { kind: "tcp", host: "127.0.0.24", port } },
  });
  captured = captureLog();
  service = await openQueue(config, { log: captured.log });
  service.start();
});

after(async () => {
  await service?.stop();
  await closeFakes?.();
  await named?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

function input(
  to: string | EnqueueInput["recipients"],
  extra: Partial<EnqueueInput> = {},
): EnqueueInput {
  return {
    from: "alice@local.test",
    recipients: typeof to === "string" ? [{ address: to }] : to,
    raw: message(`to ${typeof to === "string" ? to : to.map((r) => r.address).join(" ")}`),
    origin: { kind: "submission", user: "alice@local.test" },
    ...extra,
  };
}

const gone = (id: string) => () => !service.list().some((m) => m.id === id);
/** DSNs that reached alice through the MDA, from MAIL FROM:<>. */
const dsnsFor = (id: string) =>
  fakes.mda!.messages.filter(
    (m) => m.from === "" && m.raw.toString().includes(`X-Mailstack-Queue-ID: ${id}`),
  );

describe("retry with exponential backoff", () => {
  it("retries a 4xx and delivers once the server answers 2xx", async () => {
    const id = await service.queue.enqueue(input("bob@flaky.remote.test"));
    await waitFor("delivery", () => fakes.flaky!.messages.length === 1);
    await waitFor("removal", gone(id));
    assert.equal(flakyTimes.length, 3);
    const [a, b, c] = flakyTimes as [number, number, number];
    assert.ok(b - a >= 140, `first retry after ${b - a} ms, backoff 150`);
    assert.ok(c - b >= 290, `second retry after ${c - b} ms, backoff 300`);
    const lines = captured.lines.filter((l) => l.msg === "delivery" && l.qid === id);
    assert.deepEqual(
      lines.map((l) => l.status),
      ["deferred", "deferred", "sent"],
    );
    assert.deepEqual(
      Object.keys(lines[2]!)
        .filter((k) => ["qid", "from", "to", "relay", "delay", "status", "dsn"].includes(k))
        .sort(),
      ["delay", "dsn", "from", "qid", "relay", "status", "to"],
    );
    assert.equal(lines[2]!.relay, `mx.flaky.remote.test[127.0.0.21]:${config.outbound.port}`);
    // A delay warning may have gone out (the 4xx lasted about the warning time), never a failure.
    const actions = dsnsFor(id).flatMap((m) => parseDsn(m.raw).perRecipient.map((r) => r.action));
    assert.ok(
      actions.every((a) => a === "delayed"),
      actions.join(),
    );
  });
});

describe("bounces (RFC 3464)", () => {
  it("returns a 5xx to the sender as a DSN over LMTP, sent from the null sender", async () => {
    const id = await service.queue.enqueue(
      input([{ address: "bob@reject.remote.test", orcpt: "rfc822;Bob@reject.remote.test" }], {
        dsn: { envid: "E1" },
      }),
    );
    const [bounce] = await waitFor("bounce", () => dsnsFor(id).length === 1 && dsnsFor(id));
    assert.deepEqual(bounce!.to, ["alice@local.test"]);
    const dsn = parseDsn(bounce!.raw);
    assert.equal(dsn.perMessage["original-envelope-id"], "E1");
    assert.equal(dsn.perMessage["reporting-mta"], "dns; mta.local.test");
    assert.deepEqual(
      dsn.perRecipient.map((r) => [
        r.action,
        r.status,
        r["remote-mta"],
        r["diagnostic-code"],
        r["original-recipient"],
      ]),
      [
        [
          "failed",
          "5.1.1",
          "dns; mx.reject.remote.test",
          "smtp; 550 5.1.1 no such user here",
          "rfc822; Bob@reject.remote.test",
        ],
      ],
    );
    assert.equal(dsn.parts[2]!.headers["content-type"], "message/rfc822");
    await waitFor("removal", gone(id));
  });
  it("returns only the header with RET=HDRS", async () => {
    const id = await service.queue.enqueue(
      input("bob@reject.remote.test", { dsn: { ret: "headers" } }),
    );
    const [bounce] = await waitFor("bounce", () => dsnsFor(id).length === 1 && dsnsFor(id));
    assert.equal(parseDsn(bounce!.raw).parts[2]!.headers["content-type"], "text/rfc822-headers");
  });
  it("bounces a null MX at once with 5.1.10", async () => {
    const id = await service.queue.enqueue(input("bob@nullmx.remote.test"));
    const [bounce] = await waitFor("bounce", () => dsnsFor(id).length === 1 && dsnsFor(id));
    assert.equal(parseDsn(bounce!.raw).perRecipient[0]!.status, "5.1.10");
  });
  it("sends nothing with NOTIFY=NEVER", async () => {
    const id = await service.queue.enqueue(
      input([{ address: "bob@reject.remote.test", notify: "never" }]),
    );
    await waitFor("removal", gone(id));
    assert.equal(dsnsFor(id).length, 0);
  });
  it("drops (and logs) the failure of a message from the null sender: no bounce of a bounce", async () => {
    const before = fakes.mda!.messages.length;
    const id = await service.queue.enqueue(
      input("bob@reject.remote.test", { from: "", origin: { kind: "bounce" } }),
    );
    await waitFor("removal", gone(id));
    assert.equal(fakes.mda!.messages.length, before);
    assert.ok(captured.lines.some((l) => l.qid === id && l.msg === "undeliverable bounce dropped"));
  });
  it("reports success to a NOTIFY=SUCCESS sender after local delivery", async () => {
    const id = await service.queue.enqueue(
      input([{ address: "bob@local.test", notify: ["success"] }]),
    );
    const [report] = await waitFor("success DSN", () => dsnsFor(id).length === 1 && dsnsFor(id));
    const dsn = parseDsn(report!.raw);
    assert.equal(dsn.headers.subject, "Successful Mail Delivery Report");
    assert.deepEqual(
      [dsn.perRecipient[0]!.action, dsn.perRecipient[0]!.status],
      ["delivered", "2.0.0"],
    );
  });
});

describe("delay warnings and expiry", () => {
  it("warns once (Action: delayed), then fails with 4.4.7 at expiry", async () => {
    const id = await service.queue.enqueue(
      input([{ address: "bob@down.remote.test" }, { address: "carol@ok.remote.test" }]),
    );
    const reports = await waitFor("two DSNs", () => dsnsFor(id).length === 2 && dsnsFor(id), 8000);
    const [delayed, failed] = reports.map((r) => parseDsn(r.raw));
    assert.equal(delayed!.headers.subject, "Delayed Mail (still being retried)");
    assert.deepEqual(
      delayed!.perRecipient.map((r) => [r["final-recipient"], r.action]),
      [["rfc822; bob@down.remote.test", "delayed"]],
    );
    assert.ok(delayed!.perRecipient[0]!["will-retry-until"]);
    assert.equal(delayed!.parts[2]!.headers["content-type"], "text/rfc822-headers");
    assert.deepEqual(
      failed!.perRecipient.map((r) => [r.action, r.status]),
      [["failed", "4.4.7"]],
    );
    assert.match(failed!.perRecipient[0]!["diagnostic-code"]!, /^X-mailstack; no MX host answered/);
    assert.equal(fakes.ok!.messages.length, 1, "the other recipient was delivered at once");
    await waitFor("removal", gone(id));
  });
});

describe("restart", () => {
  it("a new queue on the same spool resumes what the old one left", async () => {
    const spoolDir = join(dir, "restart-spool");
    const cfg = { ...config, spoolDir };
    const first = await openQueue(cfg, { log: captured.log });
    const id = await first.queue.enqueue(input("dave@ok.remote.test")); // never started
    await first.stop();
    const before = fakes.ok!.messages.length;
    const second = await openQueue(cfg, { log: captured.log });
    assert.deepEqual(
      second.list().map((m) => m.id),
      [id],
    );
    second.start();
    try {
      await waitFor("delivery after restart", () => fakes.ok!.messages.length === before + 1);
      await waitFor("removal", () => second.list().length === 0);
    } finally {
      await second.stop();
    }
  });
  it("refuses to enqueue once stopped, and a second queue on a held spool", async () => {
    const spoolDir = join(dir, "held-spool");
    const q = await openQueue({ ...config, spoolDir }, { log: captured.log });
    await assert.rejects(
      openQueue({ ...config, spoolDir }, { log: captured.log, lockWaitMs: 100 }),
      { code: "SPOOL_LOCKED" },
    );
    await q.stop();
    await assert.rejects(q.queue.enqueue(input("x@ok.remote.test")), { code: "QUEUE_CLOSED" });
    await assert.rejects(service.queue.enqueue(input([])), { code: "INVALID_ENVELOPE" });
  });
});
