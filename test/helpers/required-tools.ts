/**
 * Tests that need an outside program (podman and our images, mbsync, neomutt, curl) skip,
 * saying why, on a developer's machine without it. CI installs every one of them and sets
 * MAILSTACK_REQUIRE_TOOLS=1 (.ci/run): there a missing program fails the run instead of
 * quietly skipping the tests that would have used it.
 */
export function skipWhenMissing(reason: string | false | undefined): string | false {
  if (reason === false || reason === undefined) return false;
  if (process.env["MAILSTACK_REQUIRE_TOOLS"] === "1") {
    throw new Error(`${reason}, and MAILSTACK_REQUIRE_TOOLS=1 (CI) requires it`);
  }
  return reason;
}
