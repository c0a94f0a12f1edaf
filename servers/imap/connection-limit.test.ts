import assert from "node:assert/strict";
import { test } from "node:test";
import { clientKey, ConnectionLimit } from "./connection-limit.ts";

test("client keys: IPv4 as is, IPv4-mapped unwrapped, IPv6 by /64", () => {
  const cases: [string, string][] = [
    ["192.0.2.7", "192.0.2.7"],
    ["::ffff:192.0.2.7", "192.0.2.7"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002::9", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
  ];
  for (const [address, key] of cases) assert.equal(clientKey(address), key, address);
});

test("admits up to the per-client limit, an IPv6 /64 counting as one client", () => {
  const limit = new ConnectionLimit({ max: 100, perClient: 2, exempt: ["192.0.2.99"] });
  assert.equal(limit.admit("192.0.2.1"), "ok");
  assert.equal(limit.admit("::ffff:192.0.2.1"), "ok", "the same client seen through IPv6");
  assert.equal(limit.admit("192.0.2.1"), "client-full");
  assert.equal(limit.admit("192.0.2.2"), "ok");
  assert.equal(limit.admit("2001:db8::1"), "ok");
  assert.equal(limit.admit("2001:db8::2"), "ok");
  assert.equal(limit.admit("2001:db8::3"), "client-full");
  assert.equal(limit.admit("2001:db8:0:1::1"), "ok", "another /64");
  limit.release("192.0.2.1");
  assert.equal(limit.admit("192.0.2.1"), "ok", "a released slot is free again");
  for (let i = 0; i < 5; i++) assert.equal(limit.admit("::ffff:192.0.2.99"), "ok", "exempt");
  assert.equal(limit.total, 11);
});

test("admits up to the total, whoever asks", () => {
  const limit = new ConnectionLimit({ max: 2, perClient: 10, exempt: ["192.0.2.99"] });
  assert.equal(limit.admit("192.0.2.1"), "ok");
  assert.equal(limit.admit("192.0.2.99"), "ok");
  assert.equal(limit.admit("192.0.2.99"), "server-full", "exempt addresses count in the total");
  limit.release("192.0.2.1");
  assert.equal(limit.admit("192.0.2.3"), "ok");
});
