/**
 * The POP3 server on real loopback sockets: STLS upgrade then login, implicit TLS, a large
 * message streamed, hostile clients, connection limits, the idle timer and stop().
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { connect } from "node:tls";
import { after, before, describe, it } from "node:test";
import type { RunningServer } from "../shared/lifecycle.ts";
import { startPop3 } from "./server.ts";
import { createFixture, log, message, USERS, type Fixture } from "./testing/fixtures.ts";
import { SocketTranscript } from "./testing/transcript.ts";

const { alice, bob, erin } = USERS;
let f: Fixture;
let server: RunningServer;
let plainPort: number;
let tlsPort: number;

before(async () => {
  f = await createFixture();
  await f.deliver(alice.address, message("s1"));
  await f.deliver(alice.address, message("s2", ".leading dot\r\nsecond"));
  server = await startPop3(f.config(), { directory: f.directory, store: f.store, log });
  plainPort = server.endpoints.find((e) => e.name === "pop3")?.port ?? 0;
  tlsPort = server.endpoints.find((e) => e.name === "pop3s")?.port ?? 0;
});
after(async () => {
  await server.stop();
  await f.close();
});

describe("POP3 over real sockets", () => {
  it("reports its endpoints", () => {
    assert.deepEqual(
      server.endpoints.map((e) => [e.name, e.host, e.tls]),
      [
        ["pop3", "127.0.0.1", "starttls"],
        ["pop3s", "127.0.0.1", "implicit"],
      ],
    );
  });

  it("STLS, then CAPA, login, LIST, RETR, DELE, QUIT; the store loses the message", async () => {
    const t = await SocketTranscript.open(plainPort);
    await t.expect("+OK", /^mail\.example\.test POP3 server ready/);
    assert.ok((await t.sendMulti("CAPA")).includes("STLS"));
    await t.send(`USER ${alice.address}`, "-ERR", /^\[SYS\/PERM\]/);
    await t.send("STLS", "+OK", /Begin TLS/);
    const secure = await t.upgrade(f.ca);
    assert.ok(secure.authorized, "the client verified the chain");
    const caps = await t.sendMulti("CAPA");
    assert.ok(caps.includes("SASL PLAIN") && caps.includes("USER") && !caps.includes("STLS"));
    await t.login(alice.address, alice.password);
    assert.equal((await t.sendMulti("LIST")).length, 2);
    assert.deepEqual((await t.sendMulti("RETR 2")).slice(-2), [".leading dot", "second"]);
    await t.send("DELE 1", "+OK");
    await t.send("QUIT", "+OK", /1 messages deleted, 1 left/);
    await t.closedByServer();
    const left = await f.inbox(alice.address);
    assert.equal(left.length, 1);
    assert.match(left[0]?.text ?? "", /Subject: s2/);
    assert.ok(left[0]?.flags.includes("\\Seen"));
  });

  it("implicit TLS: AUTH PLAIN at once, STLS refused", async () => {
    const t = await SocketTranscript.open(tlsPort, { ca: f.ca });
    await t.expect("+OK");
    await t.send("STLS", "-ERR", /TLS active/);
    const response = Buffer.from(`\0${alice.address}\0${alice.password}`).toString("base64");
    await t.send(`AUTH PLAIN ${response}`, "+OK", /Logged in, 1 messages/);
    await t.send("QUIT", "+OK");
  });

  it("streams a 6 MiB message intact and in order", async () => {
    const line = `${"0123456789".repeat(7)}\r\n`;
    const body = Array.from({ length: 90_000 }, (_, i) => (i % 1000 === 0 ? `.${line}` : line));
    const raw = message("big", body.join(""));
    await f.deliver(erin.address, raw);
    const t = await SocketTranscript.open(tlsPort, { ca: f.ca });
    await t.expect("+OK");
    await t.login(erin.address, erin.password);
    const lines = await t.sendMulti("RETR 1", new RegExp(`^${raw.length} octets$`));
    const received = `${lines.join("\r\n")}\r\n`;
    const digest = (s: string) => createHash("sha256").update(s, "latin1").digest("hex");
    assert.equal(digest(received), digest(raw));
    await t.send("QUIT", "+OK");
  });

  it("discards plaintext pipelined behind STLS instead of running it under TLS", async () => {
    const t = await SocketTranscript.open(plainPort);
    await t.expect("+OK");
    t.write(`STLS\r\nUSER ${bob.address}\r\n`);
    await t.expect("+OK", /Begin TLS/);
    await t.upgrade(f.ca);
    await t.send(`PASS ${bob.password}`, "-ERR", /USER first/);
    await t.send("QUIT", "+OK");
  });

  it("closes the connection when the STLS handshake fails, and stays up", async () => {
    const t = await SocketTranscript.open(plainPort);
    await t.expect("+OK");
    await t.send("STLS", "+OK");
    t.write(Buffer.from("this is not a TLS ClientHello\r\n"));
    await t.closedByServer();
    const u = await SocketTranscript.open(tlsPort, { ca: f.ca });
    await u.expect("+OK");
    await u.send("QUIT", "+OK");
  });
});

describe("hostile clients on a real socket", () => {
  it("survives junk, overlong lines and early commands, then hangs up after too many", async () => {
    const t = await SocketTranscript.open(plainPort);
    await t.expect("+OK");
    t.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x0d, 0x0a]));
    await t.expect("-ERR");
    await t.send(`NOOP ${"x".repeat(5000)}`, "-ERR", /Line too long/);
    await t.send("RETR 1", "-ERR", /not valid in this state/);
    await t.send("PASS secret", "-ERR", /SYS\/PERM/);
    t.write("A\r\nB\r\nC\r\nD\r\nE\r\nF\r\nG\r\n");
    for (let i = 0; i < 6; i++) await t.expect("-ERR", /Unknown command/);
    await t.expect("-ERR", /Too many bad commands/);
    await t.closedByServer();
  });

  it("answers an HTTP request and hangs up", async () => {
    const t = await SocketTranscript.open(plainPort);
    await t.expect("+OK");
    t.write("GET / HTTP/1.1\r\nHost: mail.example.test\r\n\r\n");
    await t.expect("-ERR", /HTTP/);
    await t.closedByServer();
  });

  it("drops a client that never completes the implicit TLS handshake without harm", async () => {
    const socket = connect({ host: "127.0.0.1", port: tlsPort, ca: f.ca, servername: "localhost" });
    await new Promise((resolve) => socket.once("secureConnect", resolve));
    socket.destroy();
    const t = await SocketTranscript.open(tlsPort, { ca: f.ca });
    await t.expect("+OK");
    await t.send("QUIT", "+OK");
  });
});

describe("limits and lifecycle", () => {
  it("limits connections per client", async () => {
    const limited = await startPop3(f.config({ maxConnectionsPerClient: 2 }), {
      directory: f.directory,
      store: f.store,
      log,
    });
    try {
      const port = limited.endpoints[0]?.port ?? 0;
      const a = await SocketTranscript.open(port);
      const b = await SocketTranscript.open(port);
      await a.expect("+OK");
      await b.expect("+OK");
      const c = await SocketTranscript.open(port);
      await c.expect("-ERR", /^\[SYS\/TEMP\] Too many connections/);
      await c.closedByServer();
      await a.send("QUIT", "+OK");
      await a.closedByServer();
      // The server counts a's slot free once it has seen the close too.
      let d = await SocketTranscript.open(port);
      for (let i = 0; i < 20 && (await d.line()).startsWith("-ERR"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        d = await SocketTranscript.open(port);
      }
      assert.equal(d.closed, false);
      for (const t of [b, d]) t.close();
    } finally {
      await limited.stop();
    }
  });

  it("logs out an idle session, deleting nothing (RFC 1939 §3)", async () => {
    await f.deliver(bob.address, message("idle"));
    const quick = await startPop3(f.config({ idleTimeoutSeconds: 1 }), {
      directory: f.directory,
      store: f.store,
      log,
    });
    try {
      const t = await SocketTranscript.open(quick.endpoints[1]?.port ?? 0, { ca: f.ca });
      await t.expect("+OK");
      await t.login(bob.address, bob.password);
      await t.send("DELE 1", "+OK");
      const started = Date.now();
      await t.expect("-ERR", /Idle/); // 1 s here; 600 s by default
      await t.closedByServer();
      assert.ok(Date.now() - started >= 800);
      assert.equal((await f.inbox(bob.address)).length, 1);
    } finally {
      await quick.stop();
    }
  });

  it("stop() tells idle sessions, lets a running RETR finish, and closes", async () => {
    const stopping = await startPop3(f.config(), { directory: f.directory, store: f.store, log });
    const port = stopping.endpoints[1]?.port ?? 0;
    const idle = await SocketTranscript.open(port, { ca: f.ca });
    await idle.expect("+OK");
    const busy = await SocketTranscript.open(port, { ca: f.ca });
    await busy.expect("+OK");
    await busy.login(erin.address, erin.password);
    busy.write("RETR 1\r\n"); // the 6 MiB message
    await busy.expect("+OK", /octets/);
    await stopping.stop();
    await idle.expect("-ERR", /^\[SYS\/TEMP\] Server shutting down/);
    await idle.closedByServer();
    assert.ok((await busy.body()).length > 90_000, "the whole message came");
    await busy.expect("-ERR", /shutting down/);
    await busy.closedByServer();
  });
});
