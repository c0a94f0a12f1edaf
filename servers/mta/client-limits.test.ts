/** Per-client limits: connections, the message rate in its window, and how clients are keyed. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientKey, ClientLimits } from "./client-limits.ts";

describe("client limits", () => {
  it("counts open connections per client and frees them on close", () => {
    const limits = new ClientLimits({ connectionsPerClient: 2, messagesPerMinute: 0 });
    assert.equal(limits.openConnection("a"), true);
    assert.equal(limits.openConnection("a"), true);
    assert.equal(limits.openConnection("a"), false);
    assert.equal(limits.openConnection("b"), true);
    limits.closeConnection("a");
    assert.equal(limits.openConnection("a"), true);
  });

  it("allows so many messages per minute, then again once the oldest leaves the window", () => {
    let now = 0;
    const limits = new ClientLimits({
      connectionsPerClient: 1,
      messagesPerMinute: 2,
      now: () => now,
    });
    assert.deepEqual(
      [limits.allowMessage("a"), limits.allowMessage("a"), limits.allowMessage("a")],
      [true, true, false],
    );
    now = 30_000;
    assert.equal(limits.allowMessage("a"), false);
    now = 60_001;
    assert.equal(limits.allowMessage("a"), true);
    assert.equal(
      new ClientLimits({ connectionsPerClient: 1, messagesPerMinute: 0 }).allowMessage("a"),
      true,
    );
  });

  it("keys IPv4 by address and IPv6 by /64", () => {
    const table: [string, string][] = [
      ["192.0.2.7", "192.0.2.7"],
      ["::ffff:192.0.2.7", "192.0.2.7"],
      ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
      ["2001:db8:1:2::9", "2001:db8:1:2::/64"],
      ["2001:0db8:0001:0002::", "2001:db8:1:2::/64"],
      ["::1", "0:0:0:0::/64"],
    ];
    for (const [address, key] of table) assert.equal(clientKey(address), key, address);
  });
});
