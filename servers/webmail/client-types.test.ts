/**
 * The browser code is type-checked with the DOM's types in its own project (client/tsconfig.json);
 * the root project, which has Node's types, leaves client/ out. This test is where that check runs.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { promisify } from "node:util";

const ROOT = join(import.meta.dirname, "..", "..");

it("client/ type-checks against the DOM", async () => {
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const result = await promisify(execFile)(
    process.execPath,
    [tsc, "--noEmit", "-p", join(import.meta.dirname, "client")],
    { cwd: ROOT },
  ).catch((error: { stdout: string; code: number }) => error);
  assert.equal("code" in result ? result.stdout : "", "");
});
