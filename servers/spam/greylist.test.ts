/**
 * Greylisting (RFC 6647) through the engine, with a clock the test moves: first attempt
 * refused, early retry refused, retry after the delay passes and the triplet stays passed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GTUBE } from "./analyzers/gtube.ts";
import { clientNetwork } from "./greylist.ts";
import { message, testEngine } from "./testing/harness.ts";

function greylisting(overrides: Record<string, unknown> = {}) {
  let now = Date.parse("2025-03-04T10:00:00Z");
  const t = testEngine(
    {},
    {
      greylist: {
        enabled: true,
        delaySeconds: 300,
        retryWindowSeconds: 86_400,
        passedSeconds: 7 * 86_400,
        minScore: -100,
        ...overrides,
      },
    },
    {
      now: () => new Date(now),
    },
  );
  return {
    advance: (seconds: number) => (now += seconds * 1000),
    send: async (
      facts: { clientAddress?: string; mailFrom?: string; rcptTo?: string[]; user?: string } = {},
      raw = message(),
    ) => {
      const result = await t.check({
        raw,
        clientAddress: facts.clientAddress ?? "198.51.100.20",
        mailFrom: facts.mailFrom ?? "a@example.org",
        rcptTo: facts.rcptTo ?? ["user@example.com"],
        ...(facts.user ? { authenticatedUser: facts.user } : {}),
      });
      return result.action === "greylist"
        ? `greylist ${result.hits.get("GREYLISTED")}`
        : result.action;
    },
  };
}

describe("greylisting", () => {
  it("refuses the first attempt and an early retry, passes a retry after the delay", async () => {
    const g = greylisting();
    assert.equal(await g.send(), "greylist retry in 300s");
    g.advance(100);
    assert.equal(await g.send(), "greylist retry in 200s");
    g.advance(201);
    assert.equal(await g.send(), "accept");
  });

  it("a passed triplet passes at once, also from another address of the same /24", async () => {
    const g = greylisting();
    await g.send();
    g.advance(301);
    assert.equal(await g.send(), "accept");
    g.advance(3600);
    assert.equal(await g.send({ clientAddress: "198.51.100.77" }), "accept");
  });

  it("another recipient, sender or network is a new triplet", async () => {
    const g = greylisting();
    await g.send();
    g.advance(301);
    await g.send();
    assert.match(await g.send({ rcptTo: ["other@example.com"] }), /^greylist/);
    assert.match(await g.send({ mailFrom: "b@example.org" }), /^greylist/);
    assert.match(await g.send({ clientAddress: "203.0.113.5" }), /^greylist/);
  });

  it("a message to several recipients waits until every triplet has passed", async () => {
    const g = greylisting();
    await g.send({ rcptTo: ["user@example.com"] });
    g.advance(301);
    assert.match(await g.send({ rcptTo: ["user@example.com", "second@example.com"] }), /^greylist/);
  });

  it("a first attempt not retried within the window is forgotten", async () => {
    const g = greylisting();
    await g.send();
    g.advance(86_401);
    assert.equal(await g.send(), "greylist retry in 300s");
  });

  it("a passed triplet unused for passedSeconds is greylisted again", async () => {
    const g = greylisting();
    await g.send();
    g.advance(301);
    await g.send();
    g.advance(7 * 86_400 + 1);
    assert.match(await g.send(), /^greylist/);
  });

  it("reject wins over greylist; authenticated senders and low scores are not greylisted", async () => {
    const g = greylisting({ minScore: 5 });
    assert.equal(await g.send({}, message({ body: `${GTUBE}\r\n` })), "reject");
    assert.equal(await g.send({ user: "someone@example.com" }), "accept");
    assert.equal(await g.send(), "accept", "a low score is below minScore 5");
  });

  it("is off by default", async () => {
    const t = testEngine();
    assert.equal((await t.check({ raw: message() })).action, "accept");
  });

  it("networks: /24 for IPv4, /64 for IPv6", () => {
    assert.equal(clientNetwork("198.51.100.20"), "198.51.100.0/24");
    assert.equal(clientNetwork("::ffff:198.51.100.20"), "198.51.100.0/24");
    assert.equal(clientNetwork("2001:db8:0:1::25"), "2001:db8:0:1::/64");
    assert.equal(clientNetwork("2001:db8::25"), "2001:db8:0:0::/64");
  });
});
