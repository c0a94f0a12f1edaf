/**
 * The process the crash test kills: opens the queue on a spool, optionally delivers, and
 * enqueues messages in a loop, printing `TRY n` before each enqueue and `ACK n id` once it
 * resolved (stdout to a pipe is synchronous on Linux, so an ACK line out means acknowledged).
 *
 *   node --import tsx crash-child.ts SPOOL_DIR PORT enqueue|deliver FIRST_SEQ
 */
import { createLogger } from "../../../shared/log.ts";
import { queueConfigSchema } from "../config.ts";
import { openQueue } from "../index.ts";

const [spoolDir, port, mode, first] = process.argv.slice(2);
if (!spoolDir || !port || !mode || !first) throw new Error("usage: SPOOL_DIR PORT MODE FIRST_SEQ");

const config = queueConfigSchema.parse({
  spoolDir,
  hostname: "mta.crash.test",
  retry: { firstSeconds: 0.2, factor: 1, maxSeconds: 0.2 },
  outbound: { port: Number(port) },
  timeouts: { connectSeconds: 2, greetingSeconds: 2, idleSeconds: 5 },
});
const service = await openQueue(config, { log: createLogger("crash-child", { level: "silent" }) });
if (mode === "deliver") service.start();
process.stdout.write("READY\n");

for (let seq = Number(first); ; seq++) {
  process.stdout.write(`TRY ${seq}\n`);
  const id = await service.queue.enqueue({
    from: "alice@local.test",
    recipients: [{ address: "bob@[127.0.0.1]" }],
    raw: Buffer.from(
      `From: alice@local.test\r\nX-Seq: ${seq}\r\nSubject: crash ${seq}\r\n\r\nbody ${seq}\r\n`,
    ),
    origin: { kind: "submission" },
  });
  process.stdout.write(`ACK ${seq} ${id}\n`);
}
