/**
 * The AUTHORIZATION state on the session core, no socket: CAPA, STLS, USER, PASS, AUTH, QUIT,
 * one line per exchange with the expected status inline.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { createLogger } from "../../shared/log.ts";
import { createFixture, message, USERS, type Fixture } from "../testing/fixtures.ts";
import { MemoryTranscript } from "../testing/transcript.ts";

const { alice, bob } = USERS;
const plain = (authzid: string, authcid: string, password: string) =>
  Buffer.from(`${authzid}\0${authcid}\0${password}`).toString("base64");

let f: Fixture;
before(async () => {
  f = await createFixture();
  await f.deliver(alice.address, message("a1"));
  await f.deliver(alice.address, message("a2"));
});
after(() => f.close());

/** A session on the cleartext port after a successful STLS. */
async function secured(): Promise<MemoryTranscript> {
  const t = await MemoryTranscript.open(f.deps);
  await t.send("STLS", "+OK", /^Begin TLS/);
  return t;
}

describe("CAPA", () => {
  it("offers STLS and withholds USER and SASL before TLS", async () => {
    const t = await MemoryTranscript.open(f.deps);
    const caps = await t.sendMulti("CAPA", /Capability list follows/);
    assert.deepEqual(caps, [
      "TOP",
      "UIDL",
      "RESP-CODES",
      "AUTH-RESP-CODE",
      "PIPELINING",
      "STLS",
      "IMPLEMENTATION mailstack",
    ]);
  });

  it("offers USER and SASL PLAIN after STLS, and STLS no more", async () => {
    const t = await secured();
    const caps = await t.sendMulti("capa");
    assert.ok(caps.includes("USER") && caps.includes("SASL PLAIN"));
    assert.ok(!caps.includes("STLS"));
  });

  it("never offers STLS on the implicit-TLS port", async () => {
    const t = await MemoryTranscript.open(f.deps, { implicitTls: true, stls: false });
    const caps = await t.sendMulti("CAPA");
    assert.ok(caps.includes("USER") && !caps.includes("STLS"));
    await t.send("STLS", "-ERR", /TLS active/);
  });

  it("takes no arguments", async () => {
    const t = await MemoryTranscript.open(f.deps);
    await t.send("CAPA now", "-ERR", /arguments/);
  });
});

describe("STLS", () => {
  it("upgrades once, then refuses", async () => {
    const t = await secured();
    assert.equal(t.tlsStarts, 1);
    assert.equal(t.session.secure, true);
    await t.send("STLS", "-ERR", /TLS active/);
  });

  it("discards commands pipelined in the clear after STLS (RFC 7457 §2.2)", async () => {
    const t = await MemoryTranscript.open(f.deps);
    t.write(`STLS\r\nUSER ${alice.address}\r\nPASS ${alice.password}\r\n`);
    await t.expect("+OK", /Begin TLS/);
    await t.send("NOOP", "-ERR", /not valid in this state/); // so USER and PASS were not run
    await t.send(`PASS ${alice.password}`, "-ERR", /USER first/);
  });

  it("is not valid after login", async () => {
    const t = await secured();
    await t.login(bob.address, bob.password);
    await t.send("STLS", "-ERR", /not valid in this state/);
    await t.send("QUIT", "+OK");
  });
});

describe("USER and PASS", () => {
  it("are refused before TLS with [SYS/PERM]", async () => {
    const t = await MemoryTranscript.open(f.deps);
    await t.send(`USER ${alice.address}`, "-ERR", /^\[SYS\/PERM\] .*STLS/);
    await t.send(`PASS ${alice.password}`, "-ERR", /^\[SYS\/PERM\]/);
    await t.send(`AUTH PLAIN ${plain("", alice.address, alice.password)}`, "-ERR", /SYS\/PERM/);
  });

  it("log in with a password containing spaces and enter TRANSACTION", async () => {
    const t = await secured();
    await t.send(`USER ${alice.address}`, "+OK");
    await t.send(`PASS ${alice.password}`, "+OK", /^Logged in, 2 messages \(\d+ octets\)$/);
    assert.equal(t.session.state, "transaction");
    await t.send("QUIT", "+OK");
  });

  it("answer [AUTH] for a wrong password or an unknown user, and forget the name", async () => {
    const t = await secured();
    await t.send(`USER ${alice.address}`, "+OK");
    await t.send("PASS wrong", "-ERR", /^\[AUTH\] Authentication failed$/);
    await t.send(`PASS ${alice.password}`, "-ERR", /USER first/);
    await t.send("USER nobody@example.test", "+OK"); // never tells whether the user exists
    await t.send("PASS whatever", "-ERR", /^\[AUTH\]/);
  });

  it("check arity: USER needs one name, PASS a password", async () => {
    const t = await secured();
    await t.send("USER", "-ERR", /arguments/);
    await t.send("USER a b", "-ERR", /arguments/);
    await t.send(`USER ${bob.address}`, "+OK");
    await t.send("PASS", "-ERR", /arguments/);
  });

  it("hang up after three failed logins on one connection", async () => {
    const t = await secured();
    for (let i = 0; i < 2; i++) {
      await t.send(`USER ${bob.address}`, "+OK");
      await t.send(`PASS wrong-${i}`, "-ERR", /\[AUTH\]/);
    }
    await t.send(`USER ${bob.address}`, "+OK");
    await t.send("PASS wrong-again", "-ERR", /\[AUTH\]/);
    await t.closedByServer();
  });
});

describe("AUTH PLAIN (RFC 5034)", () => {
  it("logs in with an initial response", async () => {
    const t = await secured();
    await t.send(`AUTH PLAIN ${plain("", bob.address, bob.password)}`, "+OK", /Logged in/);
    await t.send("QUIT", "+OK");
  });

  it("logs in after an empty challenge, and accepts authzid equal to authcid", async () => {
    const t = await secured();
    t.write("AUTH plain\r\n");
    assert.equal(await t.line(), "+ ");
    await t.send(plain(bob.address, bob.address, bob.password), "+OK", /Logged in/);
    await t.send("QUIT", "+OK");
  });

  it("cancels with *", async () => {
    const t = await secured();
    t.write("AUTH PLAIN\r\n");
    assert.equal(await t.line(), "+ ");
    await t.send("*", "-ERR", /cancelled/);
    assert.equal(t.session.state, "authorization");
  });

  it("refuses malformed responses, other mechanisms and acting as someone else", async () => {
    const t = await secured();
    await t.send("AUTH PLAIN not-base64!", "-ERR", /Malformed/);
    await t.send("AUTH PLAIN =", "-ERR", /Malformed/); // RFC 5034 §4: an empty response
    await t.send(`AUTH PLAIN ${plain(alice.address, bob.address, bob.password)}`, "-ERR", /AUTH/);
    await t.closedByServer(); // three failures
    const u = await secured();
    await u.send("AUTH LOGIN", "-ERR", /Unrecognized authentication type/);
    await u.send("AUTH CRAM-MD5 abc", "-ERR", /Unrecognized/);
  });

  it("lists its mechanisms when asked without one", async () => {
    const t = await secured();
    assert.deepEqual(await t.sendMulti("AUTH"), ["PLAIN"]);
  });
});

describe("directory answers", () => {
  it("answers [SYS/TEMP] when the directory is down or throttles", async () => {
    for (const reason of ["unavailable", "throttled"] as const) {
      const directory = {
        ...f.directory,
        authenticate: () => Promise.resolve({ ok: false as const, reason }),
      };
      const t = await MemoryTranscript.open({ ...f.deps, directory });
      await t.send("STLS", "+OK");
      await t.send(`USER ${alice.address}`, "+OK");
      await t.send(`PASS ${alice.password}`, "-ERR", /^\[SYS\/TEMP\]/);
    }
  });

  it("throttles a login after repeated failures, whatever the password", async () => {
    const g = await createFixture({ maxFailuresPerLogin: 2 });
    try {
      const t = await MemoryTranscript.open(g.deps, { implicitTls: true, stls: false });
      await t.send(`AUTH PLAIN ${plain("", bob.address, "x")}`, "-ERR", /\[AUTH\]/);
      await t.send(`AUTH PLAIN ${plain("", bob.address, "y")}`, "-ERR", /\[AUTH\]/);
      const u = await MemoryTranscript.open(g.deps, { implicitTls: true, stls: false });
      await u.send(`AUTH PLAIN ${plain("", bob.address, bob.password)}`, "-ERR", /SYS\/TEMP/);
    } finally {
      await g.close();
    }
  });
});

describe("one POP3 session per maildrop (RFC 1939 §8)", () => {
  it("refuses a second session with [IN-USE] until the first one ends", async () => {
    const first = await secured();
    await first.login(alice.address, alice.password);
    const second = await secured();
    await second.send(`USER ${alice.address}`, "+OK");
    await second.send(`PASS ${alice.password}`, "-ERR", /^\[IN-USE\]/);
    first.close(); // a drop releases the lock too
    await second.login(alice.address, alice.password);
    await second.send("QUIT", "+OK");
  });
});

describe("QUIT in AUTHORIZATION", () => {
  it("says goodbye and closes; transaction commands were not valid before", async () => {
    const t = await MemoryTranscript.open(f.deps);
    await t.send("STAT", "-ERR", /not valid in this state/);
    await t.send("RETR 1", "-ERR", /not valid in this state/);
    await t.send("NOOP", "-ERR", /not valid in this state/);
    await t.send("QUIT", "+OK", /Bye/);
    await t.closedByServer();
  });
});

describe("logging", () => {
  it("never writes a password or a SASL response, even at trace level", async () => {
    let output = "";
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        output += chunk.toString();
        callback();
      },
    });
    const traceLog = createLogger("pop3-test", { level: "trace", destination });
    const deps = { ...f.deps, log: traceLog };
    const response = plain("", bob.address, bob.password);
    const t = await MemoryTranscript.open(deps);
    await t.send("STLS", "+OK");
    await t.login(bob.address, bob.password);
    await t.send("QUIT", "+OK");
    const u = await MemoryTranscript.open(deps, { implicitTls: true, stls: false });
    await u.send(`AUTH PLAIN ${response}`, "+OK");
    await u.send("QUIT", "+OK");
    const w = await MemoryTranscript.open(deps, { implicitTls: true, stls: false });
    w.write("AUTH PLAIN\r\n");
    await w.line();
    await w.send(response, "+OK");
    assert.match(output, /USER bob@example\.test/, "the transcript is logged");
    assert.ok(!output.includes(bob.password), "no password in the log");
    assert.ok(!output.includes(response), "no SASL response in the log");
  });
});
