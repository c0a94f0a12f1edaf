/** Per-destination concurrency. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DestinationThrottle } from "./throttle.ts";

describe("DestinationThrottle", () => {
  it("holds the third connection to one destination until one is released, first come first served", async () => {
    const throttle = new DestinationThrottle(2);
    const a = await throttle.acquire("mx:x.test");
    await throttle.acquire("mx:x.test");
    const order: string[] = [];
    const third = throttle.acquire("mx:x.test").then((r) => (order.push("third"), r));
    const fourth = throttle.acquire("mx:x.test").then((r) => (order.push("fourth"), r));
    const other = await throttle.acquire("mx:y.test"); // another destination is not held up
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, []);
    assert.equal(throttle.inUse("mx:x.test"), 2);
    a();
    a(); // releasing twice frees one slot only
    (await third)();
    (await fourth)();
    assert.deepEqual(order, ["third", "fourth"]);
    other();
    assert.equal(throttle.inUse("mx:y.test"), 0);
  });
});
