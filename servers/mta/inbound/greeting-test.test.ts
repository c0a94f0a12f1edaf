/**
 * The greeting test (postscreen's pregreet test): the rules as a table on an injected clock,
 * then on port 25 over real sockets, each client a different loopback address.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mtaConfigSchema } from "../config.ts";
import { startHarness, type Harness } from "../testing/harness.ts";
import { Transcript } from "../testing/transcript.ts";
import { GreetingTest, isNetwork } from "./greeting-test.ts";

describe("greeting test rules", () => {
  const clock = { now: 1_000_000 };
  const test = (options: Partial<ConstructorParameters<typeof GreetingTest>[0]> = {}) =>
    new GreetingTest({
      pauseMs: 300,
      passTtlMs: 60_000,
      trustedNetworks: [],
      now: () => clock.now,
      ...options,
    });

  it("pauses an unknown client, greets it at once after a pass, until the pass expires", () => {
    const g = test();
    assert.equal(g.pauseFor("192.0.2.1"), 300);
    g.pass("192.0.2.1");
    assert.equal(g.pauseFor("192.0.2.1"), 0);
    assert.equal(g.pauseFor("::ffff:192.0.2.1"), 0, "the same client, IPv4-mapped");
    assert.equal(g.pauseFor("192.0.2.2"), 300, "its neighbour is not vouched for");
    clock.now += 59_999;
    assert.equal(g.pauseFor("192.0.2.1"), 0);
    clock.now += 1;
    assert.equal(g.pauseFor("192.0.2.1"), 300, "expired: tested again");
    assert.equal(g.pauseFor("192.0.2.1"), 300);
  });
  it("remembers nothing when the pass lifetime is 0", () => {
    const g = test({ passTtlMs: 0 });
    g.pass("192.0.2.1");
    assert.equal(g.pauseFor("192.0.2.1"), 300);
  });
  it("never pauses trusted networks, or anyone when the pause is 0", () => {
    const g = test({ trustedNetworks: ["127.0.0.0/8", "::1", "2001:db8::/32", "198.51.100.7"] });
    const pauses = [
      "127.0.0.1",
      "127.9.9.9",
      "::ffff:127.0.0.2",
      "::1",
      "2001:db8:1::25",
      "198.51.100.7",
      "198.51.100.8",
      "2001:db9::1",
    ].map((a) => g.pauseFor(a));
    assert.deepEqual(pauses, [0, 0, 0, 0, 0, 0, 300, 300]);
    assert.equal(test({ pauseMs: 0 }).pauseFor("192.0.2.1"), 0);
  });
  it("accepts addresses and CIDR blocks as trusted networks, and nothing else", () => {
    const valid = ["10.0.0.0/8", "192.0.2.1", "::1", "fe80::/10", "0.0.0.0/0"];
    const invalid = [
      "10.0.0.0/33",
      "::/129",
      "10.0.0/8",
      "example.com",
      "10.0.0.0/8/1",
      "1.2.3.4/x",
    ];
    assert.deepEqual(valid.map(isNetwork), [true, true, true, true, true]);
    assert.deepEqual(invalid.map(isNetwork), [false, false, false, false, false, false]);
  });
  it("checks trusted networks when the config is read", () => {
    const config = (networks: string[]) =>
      mtaConfigSchema.safeParse({
        hostname: "mail.example.test",
        domains: ["example.test"],
        listeners: { smtp: { host: "127.0.0.1", port: 0 } },
        tls: { certPath: "c", keyPath: "k" },
        directory: { backend: "file", path: "d.json" },
        lmtp: { kind: "unix", path: "l.sock" },
        limits: { greetingTrustedNetworks: networks },
        queue: { spoolDir: "q", hostname: "mail.example.test" },
      });
    assert.equal(config(["127.0.0.0/8", "::1"]).success, true);
    assert.equal(config(["127.0.0.0/40"]).success, false);
  });
});

describe("port 25: the greeting test on real sockets", () => {
  /** Long, so that a client's first write certainly falls within it on a loaded machine. */
  const PAUSE_MS = 3000;
  let h: Harness;
  before(async () => {
    h = await startHarness({
      limits: {
        greetingDelayMs: PAUSE_MS,
        greetingTrustedNetworks: ["127.0.0.64/30"],
        messagesPerMinute: 0,
      },
    });
  });
  after(() => h.stop());

  const open = (localAddress: string) => Transcript.open({ port: h.ports.smtp, localAddress });

  /** Talks before any greeting: only a client greeted at once gets 220 and then 250. */
  async function talkFirst(localAddress: string): Promise<Transcript> {
    const t = await open(localAddress);
    t.write("EHLO client.remote.test\r\n");
    return t;
  }

  it("refuses an unknown client that talks first with 421, and does not remember it", async () => {
    for (let i = 0; i < 2; i++) {
      const t = await talkFirst("127.0.0.21");
      await t.expect(421, /You talk too soon/);
      await t.closedByServer();
    }
  });
  it("refuses one that sends part of a line during the pause, after the pause", async () => {
    const t = await open("127.0.0.22");
    await new Promise((resolve) => setTimeout(resolve, 300));
    t.write("EHL");
    await t.expect(421, /You talk too soon/);
    await t.closedByServer();
  });
  it("greets at once a client that waited for its greeting before", async () => {
    const first = await open("127.0.0.23");
    await first.expect(220);
    await first.send("QUIT", 221);
    const again = await talkFirst("127.0.0.23");
    await again.expect(220);
    await again.expect(250);
    await again.send("QUIT", 221);
    const other = await talkFirst("127.0.0.24");
    await other.expect(421, /You talk too soon/);
  });
  it("greets a trusted network at once", async () => {
    for (const address of ["127.0.0.65", "127.0.0.66"]) {
      const t = await talkFirst(address);
      await t.expect(220);
      await t.expect(250);
      t.close();
    }
  });
});
