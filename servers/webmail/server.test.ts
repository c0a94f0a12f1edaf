/**
 * The webmail's HTTP surface on the real stack (runner: MDA, MTA, IMAP, webmail as processes):
 * logins checked by the IMAP server, the session cookie, CSRF and origin refusals, throttling,
 * logout, security headers, and the well-known documents.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fetchFrom, startTestStack, type HttpReply, type TestStack } from "./testing/stack.ts";

describe("webmail server", () => {
  let stack: TestStack;
  const alice = "alice@example.test";
  const json = (body: unknown, headers: Record<string, string> = {}) => ({
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const code = (reply: HttpReply) => reply.json<{ error: { code: string } }>().error.code;

  async function login(address = alice): Promise<{ cookie: string; csrf: string }> {
    const reply = await fetchFrom(
      stack,
      "/api/login",
      json({ address, password: stack.passwords[address] }, { origin: stack.origin }),
    );
    assert.equal(reply.status, 200, reply.body.toString());
    const setCookie = reply.headers["set-cookie"]?.[0] ?? "";
    return {
      cookie: setCookie.split(";")[0] ?? "",
      csrf: reply.json<{ csrfToken: string }>().csrfToken,
    };
  }

  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    await stack.stop();
  });

  it("serves the page with a strict CSP and the other security headers", async () => {
    const page = await fetchFrom(stack, "/");
    assert.equal(page.status, 200);
    const csp = String(page.headers["content-security-policy"]);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers["x-content-type-options"], "nosniff");
    assert.equal(page.headers["referrer-policy"], "no-referrer");
    assert.doesNotMatch(page.body.toString(), /<script>|<script [^>]*>[^<]/, "no inline script");
    const script = await fetchFrom(stack, "/app.js");
    assert.equal(script.status, 200);
    assert.match(script.headers["content-type"] ?? "", /^text\/javascript/);
  });

  it("logs in with the IMAP password and sets a __Host-, HttpOnly, Secure, SameSite=Strict cookie", async () => {
    const reply = await fetchFrom(
      stack,
      "/api/login",
      json({ address: alice, password: stack.passwords[alice] }, { origin: stack.origin }),
    );
    assert.equal(reply.status, 200);
    const cookie = reply.headers["set-cookie"]?.[0] ?? "";
    assert.match(cookie, /^__Host-mailstack-session=[A-Za-z0-9_-]{43}; /);
    for (const part of ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"]) {
      assert.ok(cookie.split("; ").includes(part), `${part} in ${cookie}`);
    }
    const session = await fetchFrom(stack, "/api/session", {
      headers: { cookie: cookie.split(";")[0] ?? "" },
    });
    assert.equal(session.status, 200);
    assert.equal(session.json<{ address: string }>().address, alice);
  });

  it("refuses a wrong password (401) and a login from a foreign origin (403) or as a form (415)", async () => {
    const wrong = await fetchFrom(stack, "/api/login", json({ address: alice, password: "wrong" }));
    assert.equal(wrong.status, 401);
    assert.equal(code(wrong), "LOGIN_FAILED");
    assert.equal(wrong.headers["set-cookie"], undefined);

    const foreign = await fetchFrom(
      stack,
      "/api/login",
      json({ address: alice, password: stack.passwords[alice] }, { origin: "https://evil.test" }),
    );
    assert.equal(foreign.status, 403);
    assert.equal(code(foreign), "FOREIGN_ORIGIN");

    const form = await fetchFrom(stack, "/api/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `address=${alice}&password=${stack.passwords[alice]}`,
    });
    assert.equal(form.status, 415);
  });

  it("refuses a state-changing request without the CSRF token, or with another session's", async () => {
    const mine = await login();
    const other = await login();
    const attempts: Record<string, string>[] = [
      { cookie: mine.cookie },
      { cookie: mine.cookie, "x-csrf-token": "" },
      { cookie: mine.cookie, "x-csrf-token": other.csrf },
    ];
    for (const headers of attempts) {
      const reply = await fetchFrom(stack, "/api/logout", { method: "POST", headers });
      assert.equal(reply.status, 403);
      assert.equal(code(reply), "CSRF_TOKEN");
    }
    // The session survived all three.
    const still = await fetchFrom(stack, "/api/session", { headers: { cookie: mine.cookie } });
    assert.equal(still.status, 200);
  });

  it("refuses the cookie when a foreign origin presents it, even with the token", async () => {
    const mine = await login();
    const attempts: Record<string, string>[] = [
      { origin: "https://evil.test" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
    ];
    for (const extra of attempts) {
      const read = await fetchFrom(stack, "/api/session", {
        headers: { cookie: mine.cookie, ...extra },
      });
      assert.equal(read.status, 403, JSON.stringify(extra));
      assert.equal(code(read), "FOREIGN_ORIGIN");
      const write = await fetchFrom(stack, "/api/logout", {
        method: "POST",
        headers: { cookie: mine.cookie, "x-csrf-token": mine.csrf, ...extra },
      });
      assert.equal(write.status, 403);
    }
  });

  it("logout ends the session: the same cookie is then refused", async () => {
    const mine = await login();
    const out = await fetchFrom(stack, "/api/logout", {
      method: "POST",
      headers: { cookie: mine.cookie, "x-csrf-token": mine.csrf, origin: stack.origin },
    });
    assert.equal(out.status, 204);
    assert.match(out.headers["set-cookie"]?.[0] ?? "", /Max-Age=0/);
    const after = await fetchFrom(stack, "/api/session", { headers: { cookie: mine.cookie } });
    assert.equal(after.status, 401);
    assert.equal(code(after), "NOT_LOGGED_IN");
  });

  it("throttles an address after five failed logins, before asking IMAP", async () => {
    const bob = "bob@example.test";
    for (let i = 0; i < 5; i++) {
      const reply = await fetchFrom(stack, "/api/login", json({ address: bob, password: "x" }));
      assert.equal(reply.status, 401);
    }
    // Even the right password is refused now: the guesser cannot tell.
    const blocked = await fetchFrom(
      stack,
      "/api/login",
      json({ address: bob, password: stack.passwords[bob] }),
    );
    assert.equal(blocked.status, 429);
    assert.equal(code(blocked), "LOGIN_THROTTLED");
    assert.match(blocked.headers["retry-after"] ?? "", /^\d+$/);
  });

  it("serves the MTA-STS policy on mta-sts.<domain> only", async () => {
    const policy = await fetchFrom(stack, "/.well-known/mta-sts.txt", {
      headers: { host: "mta-sts.example.test" },
    });
    assert.equal(policy.status, 200);
    assert.match(policy.headers["content-type"] ?? "", /^text\/plain/);
    assert.equal(
      policy.body.toString(),
      "version: STSv1\r\nmode: testing\r\nmx: mail.example.test\r\nmax_age: 604800\r\n",
    );
    const elsewhere = await fetchFrom(stack, "/.well-known/mta-sts.txt", {
      headers: { host: "mta-sts.other.test" },
    });
    assert.equal(elsewhere.status, 404);
  });

  it("serves Thunderbird autoconfig at both paths and Outlook autodiscover", async () => {
    for (const path of [
      "/mail/config-v1.1.xml?emailaddress=alice%40example.test",
      "/.well-known/autoconfig/mail/config-v1.1.xml",
    ]) {
      const reply = await fetchFrom(stack, path, { headers: { host: "autoconfig.example.test" } });
      assert.equal(reply.status, 200, path);
      const xml = reply.body.toString();
      assert.match(xml, /<emailProvider id="example\.test">/);
      assert.match(
        xml,
        new RegExp(
          `<incomingServer type="imap">\\s*<hostname>mail\\.example\\.test</hostname>\\s*<port>${stack.ports.imaps}</port>\\s*<socketType>SSL</socketType>`,
        ),
      );
      assert.match(
        xml,
        new RegExp(`<outgoingServer type="smtp">[\\s\\S]*?<port>${stack.ports.submissions}</port>`),
      );
    }
    const foreign = await fetchFrom(stack, "/mail/config-v1.1.xml?emailaddress=a%40other.test");
    assert.equal(foreign.status, 404);

    const discover = await fetchFrom(stack, "/autodiscover/autodiscover.xml", {
      method: "POST",
      headers: { "content-type": "text/xml" },
      body: `<?xml version="1.0"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>alice@example.test</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`,
    });
    assert.equal(discover.status, 200);
    const xml = discover.body.toString();
    assert.match(xml, /<Type>IMAP<\/Type>\s*<Server>mail\.example\.test<\/Server>/);
    assert.match(xml, /<LoginName>alice@example\.test<\/LoginName>/);
    assert.match(xml, /<Type>SMTP<\/Type>/);
  });
});
