/**
 * Submission with DKIM signing (issue 5): messages per second through port 587 (STARTTLS, AUTH
 * PLAIN) into our MTA, DKIM-signed, delivered to our MDA and into the store before the 250.
 * nodemailer's pooled transport (one login per connection, then many messages) is the client.
 * Signing with RSA-2048 and Ed25519 (dual), RSA-2048 only, and none, one after another.
 *
 *   npx tsx bench/mta-submission.ts [--messages 1000] [--connections 10] [--size 1024]
 */
import { parseArgs } from "node:util";
import nodemailer from "nodemailer";
import { makeTempDir, settleDisk, table } from "./lmtp-harness.ts";
import {
  loadAverage,
  PASSWORD,
  RECIPIENT,
  startOurStack,
  SUBMITTER,
  waitForCount,
} from "./mta-harness.ts";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "1000" },
    connections: { type: "string", default: "10" },
    size: { type: "string", default: "1024" },
  },
});
const messages = Number(values.messages);
const connections = Number(values.connections);
const body = `${"x".repeat(76)}\r\n`.repeat(Math.max(1, Math.round(Number(values.size) / 78)));
const WARM_UP = 20;

const dir = await makeTempDir("mailstack-bench-submission-");
console.log(`load average at start: ${loadAverage()}`);
const rows: string[][] = [];
for (const dkim of ["dual", "rsa", "none"] as const) {
  await settleDisk();
  const stack = await startOurStack({ dir: `${dir}/${dkim}`, greetingDelayMs: 0, dkim });
  try {
    const transport = nodemailer.createTransport({
      pool: true,
      maxConnections: connections,
      maxMessages: Infinity,
      host: "127.0.0.1",
      port: stack.submissionPort,
      requireTLS: true,
      tls: { ca: stack.caCert, servername: "mail.example.test" },
      auth: { user: SUBMITTER, pass: PASSWORD },
    });
    const send = (n: number) =>
      transport.sendMail({
        from: SUBMITTER,
        to: RECIPIENT,
        subject: `submission ${n}`,
        text: body,
      });
    await Promise.all(Array.from({ length: WARM_UP }, (_, i) => send(-i)));
    const started = performance.now();
    await Promise.all(Array.from({ length: messages }, (_, i) => send(i)));
    const seconds = (performance.now() - started) / 1000;
    transport.close();
    await waitForCount(() => stack.count(RECIPIENT), messages + WARM_UP, started, 60_000);
    const signatures = { dual: "RSA-2048 + Ed25519", rsa: "RSA-2048", none: "none" }[dkim];
    rows.push([signatures, (messages / seconds).toFixed(0), loadAverage()]);
    console.log(
      `DKIM ${signatures}: ${(messages / seconds).toFixed(0)} msg/s (load ${loadAverage()})`,
    );
  } finally {
    await stack.stop();
  }
}
console.log(
  `\n${messages} messages of ~${values.size} B, ${connections} pooled nodemailer connections, STARTTLS + AUTH PLAIN on 587, delivered into the store before each 250\n`,
);
console.log(table(["DKIM signatures", "msg/s", "load average"], rows));
