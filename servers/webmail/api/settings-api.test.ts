/**
 * Settings, password change and address suggestions through the JSON API on the real stack
 * (runner: MDA, MTA, IMAP, webmail as processes; the file directory the runner writes).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { MessagePage } from "../mail/mailbox.ts";
import { ApiClient } from "../testing/api-client.ts";
import { fetchFrom, startTestStack, type TestStack } from "../testing/stack.ts";
import type { Suggestion } from "./settings-routes.ts";

const ALICE = "alice@example.test";
const BOB = "bob@example.test";
const NEW_PASSWORD = "alice picked a long new one";

describe("webmail settings API", () => {
  let stack: TestStack;
  let alice: ApiClient;
  let bob: ApiClient;

  const suggest = async (client: ApiClient, q: string) =>
    (
      await client.getJson<{ suggestions: Suggestion[] }>(
        `/api/addresses?q=${encodeURIComponent(q)}`,
      )
    ).suggestions;

  const login = (address: string, password: string) =>
    fetchFrom(stack, "/api/login", {
      method: "POST",
      headers: { "content-type": "application/json", origin: stack.origin },
      body: JSON.stringify({ address, password }),
    });

  before(async () => {
    stack = await startTestStack();
    alice = await ApiClient.login(stack, ALICE);
    bob = await ApiClient.login(stack, BOB);
  });
  after(async () => {
    await stack?.stop();
  });

  it("keeps a display name and signature per user, across sessions", async () => {
    const empty = await alice.getJson<Record<string, unknown>>("/api/settings");
    assert.deepEqual(empty, {
      displayName: "",
      signature: "",
      passwordChange: true,
      minPasswordLength: 15,
    });
    await alice.postOk("/api/settings", {
      displayName: "  Alice Liddell ",
      signature: "Alice\r\nWonderland Ltd\n\n",
    });
    const again = await ApiClient.login(stack, ALICE);
    const saved = await again.getJson<Record<string, unknown>>("/api/settings");
    assert.equal(saved["displayName"], "Alice Liddell");
    assert.equal(saved["signature"], "Alice\nWonderland Ltd");
    // Bob's are his own.
    assert.equal((await bob.getJson<Record<string, unknown>>("/api/settings"))["displayName"], "");
  });

  it("refuses a display name with a line break, and settings without the CSRF token", async () => {
    const bad = await alice.post("/api/settings", { displayName: "A\r\nBcc: x@y", signature: "" });
    assert.equal(bad.status, 400);
    const forged = await fetchFrom(stack, "/api/settings", {
      method: "POST",
      headers: { cookie: alice.cookie, origin: stack.origin, "content-type": "application/json" },
      body: JSON.stringify({ displayName: "Mallory", signature: "" }),
    });
    assert.equal(forged.status, 403);
    const password = await fetchFrom(stack, "/api/password", {
      method: "POST",
      headers: { cookie: alice.cookie, origin: stack.origin, "content-type": "application/json" },
      body: JSON.stringify({ currentPassword: "x", newPassword: NEW_PASSWORD }),
    });
    assert.equal(password.status, 403);
    assert.equal(
      (await alice.getJson<Record<string, unknown>>("/api/settings"))["displayName"],
      "Alice Liddell",
    );
  });

  it("sends with the display name as the From name, and remembers the recipients", async () => {
    await alice.postOk("/api/send", {
      to: [BOB, "Dave Remote <dave@remote.test>"],
      subject: "From my name",
      text: "Hello",
    });
    let page: MessagePage | undefined;
    for (let i = 0; i < 100; i++) {
      page = await bob.getJson<MessagePage>("/api/messages?folder=INBOX");
      if (page.messages.some((m) => m.subject === "From my name")) break;
      await sleep(100);
    }
    const got = page?.messages.find((m) => m.subject === "From my name");
    assert.deepEqual(got?.from, [{ name: "Alice Liddell", address: ALICE }]);

    assert.deepEqual(await suggest(alice, "dav"), [
      { address: "dave@remote.test", name: "Dave Remote", source: "sent" },
    ]);
    assert.deepEqual(await suggest(alice, "REMOTE"), [
      { address: "dave@remote.test", name: "Dave Remote", source: "sent" },
    ]);
    // Bob: from the directory; one he wrote to comes first as his own.
    assert.deepEqual(await suggest(alice, "bo"), [{ address: BOB, name: "bob", source: "sent" }]);
    assert.deepEqual(await suggest(bob, "ali"), [
      { address: ALICE, name: "alice", source: "directory" },
    ]);
    assert.deepEqual(await suggest(bob, "dav"), []);
    assert.deepEqual(await suggest(bob, "*"), []);
    assert.deepEqual(await suggest(bob, ""), []);
  });

  it("changes the password: checked, throttled, then the session ends and the new one logs in", async () => {
    const wrong = await alice.post("/api/password", {
      currentPassword: "not it",
      newPassword: NEW_PASSWORD,
    });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.json<{ error: { code: string } }>().error.code, "PASSWORD_WRONG");
    const weak = await alice.post("/api/password", {
      currentPassword: stack.passwords[ALICE],
      newPassword: "short",
    });
    assert.equal(weak.status, 400);
    assert.equal(weak.json<{ error: { code: string } }>().error.code, "PASSWORD_WEAK");

    await alice.postOk("/api/password", {
      currentPassword: stack.passwords[ALICE],
      newPassword: NEW_PASSWORD,
    });
    assert.equal((await alice.get("/api/session")).status, 401);
    // The IMAP server reads the changed directory within moments: poll, not time.
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await login(ALICE, NEW_PASSWORD)).status;
      if (status !== 200) await sleep(100);
    }
    assert.equal(status, 200);
    assert.equal((await login(ALICE, stack.passwords[ALICE] ?? "")).status, 401);
    // Submission takes it too: the new session sends.
    const fresh = await ApiClient.login(
      { ...stack, passwords: { ...stack.passwords, [ALICE]: NEW_PASSWORD } },
      ALICE,
    );
    await fresh.postOk("/api/send", { to: [BOB], subject: "After the change", text: "Still me" });
  });

  it("throttles guesses at the current password", async () => {
    for (let i = 0; i < 5; i++) {
      await bob.post("/api/password", { currentPassword: `guess ${i}`, newPassword: NEW_PASSWORD });
    }
    const right = await bob.post("/api/password", {
      currentPassword: stack.passwords[BOB],
      newPassword: NEW_PASSWORD,
    });
    assert.equal(right.status, 429);
  });
});
