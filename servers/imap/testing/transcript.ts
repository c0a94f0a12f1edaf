/**
 * Transcript tests, one line per exchange (mox style):
 *
 *   C: a LOGIN alice password
 *   S: a OK [CAPABILITY ...] Logged in
 *
 * `C:` lines are sent with CRLF (`C- ` without); `S:` lines are expected in order, exactly,
 * where "..." stands for any text; `S: (closed)` expects the server to hang up. Output nobody
 * expected fails the test, so a transcript states everything the server said.
 */
import assert from "node:assert/strict";
import type { LineBuffer } from "./line-buffer.ts";

export interface Channel {
  readonly output: LineBuffer;
  write(data: string | Buffer): void;
}

function pattern(expected: string): RegExp {
  const source = expected
    .split("...")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${source}$`, "s");
}

export async function transcript(
  channel: Channel,
  script: string,
  options: { rest?: "empty" | "any" } = {},
): Promise<void> {
  const lines = script
    .split("\n")
    .map((l) => l.trimStart())
    .filter((l) => l.trim() !== "" && !l.startsWith("#"));
  for (const [index, line] of lines.entries()) {
    const where = `transcript line ${index + 1}: ${line}`;
    if (line.startsWith("C: ")) {
      channel.write(`${line.slice(3)}\r\n`);
    } else if (line.startsWith("C- ")) {
      channel.write(line.slice(3));
    } else if (line === "S: (closed)") {
      await channel.output.waitClosed().catch(() => assert.fail(`${where}: still open`));
    } else if (line.startsWith("S: ")) {
      const expected = line.slice(3);
      let got: string;
      try {
        got = await channel.output.nextLine();
      } catch (error) {
        assert.fail(`${where}: ${(error as Error).message}`);
      }
      assert.match(got, pattern(expected), `${where}\n     got: ${got}`);
    } else {
      throw new Error(`bad transcript line: ${line}`);
    }
  }
  if (options.rest === "any") return;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(channel.output.pending(), "", "the server said more than the transcript expects");
}
