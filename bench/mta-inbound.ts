/**
 * Inbound throughput, side by side in one run (issue 5): Postfix's smtp-source (20 sessions,
 * 2,000 messages of 1 KB) into
 *
 *   - our MTA on port 25, on through our MDA into the store (the MTA answers 250 only once the
 *     MDA has the message, fsynced), three ways: the greeting pause off; the default config
 *     (300 ms pause for a client not seen before, which is then remembered for a day and
 *     greeted at once: only smtp-source's first connections wait); and the pause on every
 *     connection (greetingPassSeconds 0, the behaviour before the pass was remembered);
 *   - a throwaway Postfix (queue fsync before 250, as always) delivering over LMTP to a
 *     throwaway Dovecot with mail_fsync=always.
 *
 * Each run is timed twice: until smtp-source is done (every message accepted) and until the
 * last message is in the mailbox (counted in the store / Maildir). Runs are interleaved across
 * systems, --repeats times; medians are printed.
 *
 *   npx tsx bench/mta-inbound.ts [--messages 2000] [--sessions 20] [--size 1024] [--repeats 1]
 *                                [--modes connect,reuse]
 */
import { parseArgs } from "node:util";
import { makeTempDir, median, settleDisk, table } from "./lmtp-harness.ts";
import {
  loadAverage,
  RECIPIENT,
  runSmtpSource,
  smtpSourceArgs,
  startOurStack,
  startPostfix,
  waitForCount,
  type SmtpSystem,
} from "./mta-harness.ts";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "2000" },
    sessions: { type: "string", default: "20" },
    size: { type: "string", default: "1024" },
    repeats: { type: "string", default: "1" },
    modes: { type: "string", default: "connect,reuse" },
  },
});
const messages = Number(values.messages);
const sessions = Number(values.sessions);
const size = Number(values.size);
const repeats = Number(values.repeats);
const modes = values.modes.split(",") as ("connect" | "reuse")[];

const dir = await makeTempDir("mailstack-bench-mta-");
console.log(`load average at start: ${loadAverage()}`);
const systems: SmtpSystem[] = [];
try {
  const ours0 = await startOurStack({ dir: `${dir}/ours0`, greetingDelayMs: 0, dkim: "none" });
  systems.push({ ...ours0, system: "mailstack, greeting pause 0" });
  const ours = await startOurStack({ dir: `${dir}/ours`, dkim: "none" });
  systems.push({ ...ours, system: "mailstack, default config (pause 300 ms, remembered)" });
  const oursEvery = await startOurStack({
    dir: `${dir}/ours-every`,
    greetingPassSeconds: 0,
    dkim: "none",
  });
  systems.push({ ...oursEvery, system: "mailstack, pause 300 ms on every connection" });
  const postfix = await startPostfix({ dir: `${dir}/postfix`, mailFsync: "always" });
  systems.push(postfix);

  const results = new Map<string, { accepted: number[]; delivered: number[]; load: string[] }>();
  for (let r = 0; r < repeats; r++) {
    for (const mode of modes) {
      for (const system of systems) {
        await settleDisk();
        const before = await system.count(RECIPIENT);
        const args = smtpSourceArgs(system.port, {
          sessions,
          messages,
          size,
          reuse: mode === "reuse",
          to: RECIPIENT,
        });
        const since = performance.now();
        const run = await runSmtpSource(args, 600_000);
        if (run.code !== 0) {
          throw new Error(`smtp-source into ${system.system} exited ${run.code}: ${run.output}`);
        }
        const delivered = await waitForCount(
          async () => (await system.count(RECIPIENT)) - before,
          messages,
          since,
          600_000,
        );
        const key = `${mode}\t${system.system}`;
        const entry = results.get(key) ?? { accepted: [], delivered: [], load: [] };
        entry.accepted.push(messages / run.seconds);
        entry.delivered.push(messages / delivered);
        entry.load.push(loadAverage().split(" ")[0]!);
        results.set(key, entry);
        console.log(
          `${mode.padEnd(7)} ${system.system.padEnd(60)} accepted ${(messages / run.seconds).toFixed(0).padStart(5)} msg/s, delivered ${(messages / delivered).toFixed(0).padStart(5)} msg/s (load ${loadAverage()})`,
        );
        if (r === 0 && system === systems[0]) console.log(`  smtp-source ${args.join(" ")}`);
      }
    }
  }
  console.log(
    `\n${messages} messages of ${size} B payload, ${sessions} sessions; medians of ${repeats}; msg/s\n`,
  );
  console.log(
    table(
      ["mode", "system", "accepted", "in the mailbox", "load (1 min)"],
      [...results].map(([key, e]) => {
        const [mode, system] = key.split("\t") as [string, string];
        return [
          mode,
          system,
          median(e.accepted).toFixed(0),
          median(e.delivered).toFixed(0),
          e.load.join(", "),
        ];
      }),
    ),
  );
  const problems = postfix.problems();
  if (problems.length > 0)
    console.log(`\nPostfix log problems:\n${problems.slice(0, 10).join("\n")}`);
} finally {
  for (const system of systems) await system.stop().catch(() => undefined);
}
console.log(`load average at end: ${loadAverage()}`);
