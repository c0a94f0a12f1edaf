/**
 * The session core's framing and its defences, no socket: split and pipelined input, bare LF,
 * overlong lines, binary junk, unknown commands, too many errors, HTTP, shutdown.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MAX_BAD_COMMANDS, MAX_COMMAND_LINE_BYTES } from "./limits.ts";
import { createFixture, message, USERS, type Fixture } from "./testing/fixtures.ts";
import { MemoryTranscript } from "./testing/transcript.ts";

const { dave } = USERS;
let f: Fixture;
before(async () => {
  f = await createFixture();
  await f.deliver(dave.address, message("d1"));
  await f.deliver(dave.address, message("d2"));
});
after(() => f.close());

const tlsSession = () => MemoryTranscript.open(f.deps, { implicitTls: true, stls: false });

describe("framing", () => {
  it("answers pipelined commands in order (RFC 2449 §6.6)", async () => {
    const t = await tlsSession();
    t.write(
      `USER ${dave.address}\r\nPASS ${dave.password}\r\nSTAT\r\nLIST 1\r\nUIDL 2\r\nNOOP\r\n`,
    );
    await t.expect("+OK");
    await t.expect("+OK", /Logged in, 2 messages/);
    await t.expect("+OK", /^2 \d+$/);
    await t.expect("+OK", /^1 \d+$/);
    await t.expect("+OK", /^2 \d+\.\d+$/);
    await t.expect("+OK");
    await t.send("QUIT", "+OK");
  });

  it("reassembles commands sent one byte at a time, and takes bare LF and lower case", async () => {
    const t = await tlsSession();
    for (const byte of Buffer.from("capa\r\n")) t.write(Buffer.from([byte]));
    await t.expect("+OK", /Capability/);
    await t.body();
    t.write("Capa\n");
    await t.expect("+OK");
    assert.ok((await t.body()).includes("TOP"));
  });
});

describe("hostile input", () => {
  it("answers an overlong line once, discards it to its end, and goes on", async () => {
    const t = await tlsSession();
    t.write(`NOOP ${"x".repeat(MAX_COMMAND_LINE_BYTES + 10)}\r\n`);
    await t.expect("-ERR", /Line too long/);
    t.write(`USER ${"y".repeat(3000)}`); // no end yet
    t.write(`${"y".repeat(3000)}\r\nCAPA\r\n`);
    await t.expect("-ERR", /Line too long/);
    await t.expect("+OK", /Capability/);
    await t.body();
    assert.equal(t.closed, false);
  });

  it("hangs up on a line of more than a megabyte", async () => {
    const t = await tlsSession();
    const chunk = "z".repeat(64 * 1024);
    for (let i = 0; i < 20 && !t.closed; i++) t.write(chunk);
    await t.expect("-ERR", /Line too long/);
    await t.closedByServer();
  });

  it("refuses binary junk and NULs without crashing", async () => {
    const t = await MemoryTranscript.open(f.deps);
    // A TLS ClientHello on the cleartext port, then NULs and high bytes.
    t.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x0a]));
    await t.expect("-ERR", /control characters/);
    t.write(Buffer.from([0x55, 0x53, 0x45, 0x52, 0x20, 0x00, 0x61, 0x0d, 0x0a]));
    await t.expect("-ERR", /control characters/);
    t.write(Buffer.from([0xff, 0xfe, 0xfd, 0x0d, 0x0a]));
    await t.expect("-ERR", /Unknown command/);
    await t.send("CAPA", "+OK");
    await t.body();
  });

  it("answers unknown and empty commands with -ERR, then hangs up after too many", async () => {
    const t = await MemoryTranscript.open(f.deps);
    await t.send("HELO there", "-ERR", /Unknown command/);
    await t.send("", "-ERR", /Unknown command/);
    await t.send("LIST", "-ERR", /not valid in this state/);
    for (let i = 3; i < MAX_BAD_COMMANDS - 1; i++) await t.send(`BOGUS${i}`, "-ERR");
    await t.send("BOGUS", "-ERR", /Unknown command/);
    await t.expect("-ERR", /Too many bad commands/);
    await t.closedByServer();
  });

  it("hangs up on an HTTP request", async () => {
    const t = await MemoryTranscript.open(f.deps);
    await t.send("GET / HTTP/1.1", "-ERR", /HTTP requests are not allowed/);
    await t.closedByServer();
  });

  it("ignores whatever follows QUIT in the same packet", async () => {
    const t = await tlsSession();
    t.write("QUIT\r\nCAPA\r\n");
    await t.expect("+OK", /Bye/);
    await t.closedByServer();
    await assert.rejects(t.line(100), /closed/);
  });

  it("caps AUTH's continuation line and goes back to AUTHORIZATION", async () => {
    const t = await tlsSession();
    t.write("AUTH PLAIN\r\n");
    assert.equal(await t.line(), "+ ");
    await t.send("A".repeat(5000), "-ERR", /Line too long/);
    assert.equal(t.session.state, "authorization");
  });
});

describe("shutdown", () => {
  it("tells an idle session the server is stopping and leaves its maildrop untouched", async () => {
    const t = await tlsSession();
    await t.login(dave.address, dave.password);
    await t.send("DELE 1", "+OK");
    t.session.shutdown();
    await t.expect("-ERR", /^\[SYS\/TEMP\] Server shutting down/);
    await t.closedByServer();
    assert.equal((await f.inbox(dave.address)).length, 2);
  });
});
