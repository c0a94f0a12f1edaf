import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sameToken, SessionStore } from "./session-store.ts";

function resource() {
  const r = { closed: 0, close: () => Promise.resolve(void r.closed++) };
  return r;
}

function clock() {
  let at = 5_000_000;
  return { now: () => at, advance: (seconds: number) => (at += seconds * 1000) };
}

describe("session store", () => {
  it("ids and CSRF tokens are 256-bit random base64url, different per session", () => {
    const store = new SessionStore({ idleSeconds: 60, absoluteSeconds: 600 });
    const a = store.create("a@x.test", "pw", resource());
    const b = store.create("a@x.test", "pw", resource());
    for (const token of [a.id, a.csrfToken, b.id]) assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(new Set([a.id, b.id, a.csrfToken, b.csrfToken]).size, 4);
  });

  it("ends a session left idle, and closes its IMAP connection", async () => {
    const c = clock();
    const store = new SessionStore({ idleSeconds: 60, absoluteSeconds: 600 }, c.now);
    const r = resource();
    const s = store.create("a@x.test", "pw", r);
    c.advance(59);
    assert.equal(store.touch(s.id), s);
    c.advance(59);
    assert.equal(store.touch(s.id), s, "use restarts the idle timer");
    c.advance(60);
    assert.equal(store.touch(s.id), undefined);
    await store.sweep();
    assert.equal(r.closed, 1);
    assert.equal(store.size, 0);
  });

  it("ends a session at its absolute time however busy it is", async () => {
    const c = clock();
    const store = new SessionStore({ idleSeconds: 60, absoluteSeconds: 150 }, c.now);
    const r = resource();
    const s = store.create("a@x.test", "pw", r);
    for (let i = 0; i < 2; i++) {
      c.advance(50);
      assert.equal(store.touch(s.id), s);
    }
    c.advance(50);
    await store.sweep();
    assert.equal(store.touch(s.id), undefined);
    assert.equal(r.closed, 1);
  });

  it("logout ends the session at once; unknown ids find nothing", async () => {
    const store = new SessionStore({ idleSeconds: 60, absoluteSeconds: 600 });
    const r = resource();
    const s = store.create("a@x.test", "pw", r);
    await store.end(s.id);
    assert.equal(store.touch(s.id), undefined);
    assert.equal(store.touch("nope"), undefined);
    assert.equal(store.touch(undefined), undefined);
    assert.equal(r.closed, 1);
  });

  it("compares tokens exactly", () => {
    assert.equal(sameToken("abc", "abc"), true);
    assert.equal(sameToken("abc", "abd"), false);
    assert.equal(sameToken("abc", "abcd"), false);
    assert.equal(sameToken("", "a"), false);
  });
});
