import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { describe, it } from "node:test";
import { ApiError } from "../errors.ts";
import { sessionCookie, sessionIdFrom } from "./cookies.ts";
import { checkCsrf, checkOrigin } from "./request-guard.ts";

const host = "mail.example.test:8443";

function refusal(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
}

describe("request guard", () => {
  const origins: [IncomingHttpHeaders, string | undefined][] = [
    [{ host }, undefined],
    [{ host, origin: `https://${host}` }, undefined],
    [{ host, origin: `https://${host}`, "sec-fetch-site": "same-origin" }, undefined],
    [{ host, "sec-fetch-site": "none" }, undefined],
    [{ host, origin: "https://evil.test" }, "FOREIGN_ORIGIN"],
    [{ host, origin: `http://${host}` }, "FOREIGN_ORIGIN"],
    [{ host, origin: "https://mail.example.test:9443" }, "FOREIGN_ORIGIN"],
    [{ host, origin: "null" }, "FOREIGN_ORIGIN"],
    [{ host, "sec-fetch-site": "cross-site" }, "FOREIGN_ORIGIN"],
    [{ host, "sec-fetch-site": "same-site" }, "FOREIGN_ORIGIN"],
  ];
  for (const [headers, expected] of origins) {
    it(`origin ${JSON.stringify(headers)} -> ${expected ?? "allowed"}`, () => {
      assert.equal(
        refusal(() => checkOrigin(headers)),
        expected,
      );
    });
  }

  const token = "t".repeat(43);
  const csrf: [string, IncomingHttpHeaders, string | undefined][] = [
    ["GET", {}, undefined],
    ["HEAD", {}, undefined],
    ["POST", {}, "CSRF_TOKEN"],
    ["POST", { "x-csrf-token": "" }, "CSRF_TOKEN"],
    ["POST", { "x-csrf-token": "t".repeat(42) }, "CSRF_TOKEN"],
    ["POST", { "x-csrf-token": "u".repeat(43) }, "CSRF_TOKEN"],
    ["DELETE", {}, "CSRF_TOKEN"],
    ["POST", { "x-csrf-token": token }, undefined],
  ];
  for (const [method, headers, expected] of csrf) {
    it(`${method} with ${JSON.stringify(headers)} -> ${expected ?? "allowed"}`, () => {
      assert.equal(
        refusal(() => checkCsrf(method, headers, token)),
        expected,
      );
    });
  }

  it("the session cookie is __Host-, Secure, HttpOnly, SameSite=Strict, Path=/", () => {
    const cookie = sessionCookie("abc", 60);
    assert.match(cookie, /^__Host-mailstack-session=abc;/);
    for (const part of ["Path=/", "Secure", "HttpOnly", "SameSite=Strict", "Max-Age=60"]) {
      assert.ok(cookie.split("; ").includes(part), part);
    }
    assert.doesNotMatch(cookie, /Domain=/i);
  });

  it("reads the session id from a Cookie header, ignoring junk", () => {
    assert.equal(sessionIdFrom("a=1; __Host-mailstack-session=abc_-1; b=2"), "abc_-1");
    assert.equal(sessionIdFrom("__Host-mailstack-session=a;b"), "a");
    assert.equal(sessionIdFrom("__Host-mailstack-session=a b"), undefined);
    assert.equal(sessionIdFrom("mailstack-session=abc"), undefined);
    assert.equal(sessionIdFrom(undefined), undefined);
  });
});
