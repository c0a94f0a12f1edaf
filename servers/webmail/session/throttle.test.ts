import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoginThrottle } from "./throttle.ts";

const limits = { failuresPerAddress: 3, failuresPerIp: 5, windowSeconds: 60 };

function clock() {
  let at = 1_000_000;
  return { now: () => at, advance: (seconds: number) => (at += seconds * 1000) };
}

describe("login throttle", () => {
  it("refuses an address after its failures, for the rest of the window", () => {
    const c = clock();
    const t = new LoginThrottle(limits, c.now);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(t.check("a@x.test", "10.0.0.1"), { allowed: true });
      t.recordFailure("a@x.test", "10.0.0.1");
      c.advance(10);
    }
    // Failures at 0 s, 10 s, 20 s; now 30 s: the first leaves the window at 60 s.
    assert.deepEqual(t.check("A@X.test", "10.0.0.2"), { allowed: false, retryAfterSeconds: 30 });
    c.advance(30);
    assert.deepEqual(t.check("a@x.test", "10.0.0.2"), { allowed: true });
  });

  it("refuses an IP that tries many addresses", () => {
    const t = new LoginThrottle(limits, clock().now);
    for (let i = 0; i < 5; i++) t.recordFailure(`u${i}@x.test`, "10.0.0.9");
    assert.equal(t.check("new@x.test", "10.0.0.9").allowed, false);
    assert.equal(t.check("new@x.test", "10.0.0.8").allowed, true);
  });

  it("a success clears the address's failures", () => {
    const t = new LoginThrottle(limits, clock().now);
    for (let i = 0; i < 2; i++) t.recordFailure("a@x.test", "10.0.0.1");
    t.recordSuccess("a@x.test");
    t.recordFailure("a@x.test", "10.0.0.1");
    assert.equal(t.check("a@x.test", "10.0.0.3").allowed, true);
  });
});
