/** Timers and memory bounds of the session core. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MAX_BUFFERED_BYTES } from "../limits.ts";
import { createEnv, PASSWORD, SessionClient, type TestEnv } from "../testing/harness.ts";

describe("session limits", () => {
  let env: TestEnv;
  before(async () => {
    env = await createEnv();
  });
  after(() => env.close());

  it("logs out an authenticated client after its idle time, and IDLE re-arms the timer", async (t) => {
    const c = new SessionClient(env, { authenticatedTimeoutMs: 400 });
    t.after(() => c.end());
    c.session.start();
    await c.run(`
      S: * OK ...
      C: a LOGIN alice@example.test "${PASSWORD}"
      S: a OK ...
    `);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const started = Date.now();
    await c.run(`
      C: b IDLE
      S: + idling
      S: * BYE Autologout; idle for too long
      S: (closed)
    `);
    const lasted = Date.now() - started;
    assert.ok(lasted >= 350, `IDLE restarted the 400 ms timer (closed after ${lasted} ms)`);
  });

  it("says Still here during a long IDLE", async (t) => {
    const c = new SessionClient(env, { idleKeepaliveMs: 100 });
    t.after(() => c.end());
    c.session.start();
    await c.run(`
      S: * OK ...
      C: a LOGIN alice@example.test "${PASSWORD}"
      S: a OK ...
      C: b IDLE
      S: + idling
      S: * OK Still here
      S: * OK Still here
      C: DONE
      S: b OK IDLE terminated
    `);
  });

  it("says BYE to a client that floods the session with more than it may buffer", async (t) => {
    const c = new SessionClient(env);
    t.after(() => c.end());
    c.session.start();
    await c.output.nextLine();
    c.write(Buffer.concat([Buffer.from("a NOOP\r\n"), Buffer.alloc(MAX_BUFFERED_BYTES, 0x20)]));
    await c.run(`
      S: * BYE Too much data buffered
      S: (closed)
    `);
  });

  it("pauses reading while a command runs and the client keeps sending", async (t) => {
    const c = new SessionClient(env);
    t.after(() => c.end());
    c.session.start();
    await c.output.nextLine();
    c.write(`a LOGIN alice@example.test "${PASSWORD}"\r\n`); // busy for a while (password hashing)
    const size = 1100 * 1024;
    c.write(`b APPEND INBOX {${size}+}\r\nSubject: big\r\n\r\n${"x".repeat(size - 17)}\r\n`);
    assert.equal(c.transport.paused, true);
    assert.match(await c.output.nextLine(), /^a OK/);
    assert.match(await c.output.nextLine(), /^b OK \[APPENDUID/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(c.transport.paused, false, "reading resumes once the input is worked off");
  });
});
