/**
 * The README's first minutes, run as written: the blocks marked `sh first-hour` are taken from
 * README.md and run with bash, one after the other, against a runner started as `npm start`
 * starts it (the embedded default). So the walkthrough cannot drift from the code.
 *
 * Only what cannot be shared with other tests or a developer's own `npm start` is put in place:
 * the default ports (127.0.0.1:<schema default>) become free ones, `.data/default` a temporary
 * data directory, and DEMO_PASSWORD / FRIEND_PASSWORD are the passwords the runner generated
 * (the README has the reader paste them from what `npm start` printed).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { banner } from "../cli/banner.ts";
import { startRunner, type Runner } from "../cli/runner/start.ts";
import { EMBEDDED_SOURCE, embeddedConfig } from "../stacks/embedded.ts";
import { parseStackConfig } from "../stacks/load.ts";
import { LOCAL_PORT_NAMES } from "../stacks/schema.ts";
import { freeRunnerPorts } from "./helpers/ports.ts";

const ROOT = resolve(import.meta.dirname, "..");
const run = promisify(execFile);
/** A read may run before the message is stored (the README says to run it again). */
const READ_RETRY_MS = 60_000;

/** The fenced blocks of `markdown` whose info string is `sh <marker>`, without their indent. */
export function markedBlocks(markdown: string, marker: string): string[] {
  const fence = new RegExp(`^( *)\`\`\`sh ${marker}\\n([^]*?)^\\1\`\`\`$`, "gm");
  return [...markdown.matchAll(fence)].map(([, indent = "", body = ""]) =>
    body
      .split("\n")
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join("\n"),
  );
}

describe("the README's first minutes", () => {
  let readme: string;
  let dir: string;
  let runner: Runner;
  let printed: string;
  const ports = {} as Record<string, number>;

  before(async () => {
    readme = await readFile(join(ROOT, "README.md"), "utf8");
    dir = await mkdtemp(join(tmpdir(), "mailstack-readme-"));
    Object.assign(ports, await freeRunnerPorts());
    const embedded = embeddedConfig();
    const config = { ...embedded, local: { ...embedded.local, dataDir: join(dir, "data"), ports } };
    runner = await startRunner({
      config: config as typeof embedded,
      source: EMBEDDED_SOURCE,
      baseDir: dir,
    });
    printed = banner(runner, config as typeof embedded, EMBEDDED_SOURCE);
  });
  after(async () => {
    await runner?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("starts with `npm ci && npm start`, which runs the embedded default", async () => {
    assert.match(readme, /^ *```sh\n *npm ci && npm start\n *```$/m);
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    assert.equal(pkg.scripts["start"], "tsx cli/main.ts start");
    // What the README tells the reader to look for in what npm start prints.
    assert.equal(runner.caFile, join(runner.dataDir, "ca", "ca.pem"));
    assert.ok(printed.includes(`Trust this CA   ${runner.caFile}`), printed);
    assert.match(printed, /demo@example\.test {2}password \S+/);
    assert.match(printed, /friend@example\.test {2}password \S+/);
    assert.match(readme, /\.data\/default\/ca\/ca\.pem/);
  });

  it("runs every `sh first-hour` block as written, in order", async () => {
    const blocks = markedBlocks(readme, "first-hour");
    assert.ok(blocks.length >= 4, `only ${blocks.length} blocks marked sh first-hour`);
    const defaults = parseStackConfig(
      { domains: [{ name: "example.test" }], hostname: "mail.example.test" },
      "defaults",
    ).local;
    const password = (address: string) =>
      runner.generatedPasswords.find((g) => g.address === address)?.password ?? "";
    const env = {
      ...process.env,
      DEMO_PASSWORD: password("demo@example.test"),
      FRIEND_PASSWORD: password("friend@example.test"),
    };
    const outputs: string[] = [];
    for (const block of blocks) {
      let script = block.replaceAll(".data/default", runner.dataDir);
      for (const name of LOCAL_PORT_NAMES) {
        script = script.replaceAll(
          `${defaults.listen}:${defaults.ports[name]}`,
          `127.0.0.1:${ports[name]}`,
        );
      }
      const reads = /imaps:\/\//.test(script) && !/--mail-rcpt/.test(script);
      const deadline = Date.now() + READ_RETRY_MS;
      for (;;) {
        try {
          const { stdout } = await run("bash", ["-euo", "pipefail", "-c", script], {
            cwd: ROOT,
            env,
          });
          outputs.push(stdout);
          break;
        } catch (error) {
          if (!reads || Date.now() > deadline) {
            const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
            throw new Error(`README block failed:\n${block}\n${stdout}${stderr}`, {
              cause: error,
            });
          }
          await sleep(500);
        }
      }
    }
    const all = outputs.join("\n");
    // friend received demo's message, signed; demo received friend's answer.
    assert.match(all, /^Subject: Hello friend\r?$/m);
    assert.match(all, /^DKIM-Signature: .*d=example\.test/m);
    assert.match(all, /^Subject: Re: Hello friend\r?$/m);
  });
});
