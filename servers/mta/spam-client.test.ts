/**
 * The spam client against a small real HTTP server: the request it sends, the verdicts it reads,
 * and every way the service can fail (each one `unavailable`, never an exception).
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { SpamClient, verdictValue, type SpamFacts } from "./spam-client.ts";

type Handler = (request: IncomingMessage, body: Buffer, response: ServerResponse) => void;
let handler: Handler;
let server: Server;
let url: string;

before(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => handler(request, Buffer.concat(chunks), response));
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/check`;
});
after(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

const FACTS: SpamFacts = {
  id: "tx1",
  envelope: { from: "x@remote.test", to: ["bøb@example.test"] },
  client: { address: "192.0.2.7", helo: "client.remote.test", tls: null },
  user: null,
  hostname: "mail.example.test",
  receivedAt: "2024-01-01T00:00:00.000Z",
};
const RAW = Buffer.from("From: x@remote.test\r\nSubject: hi\r\n\r\nBody\r\n");

function answer(status: number, body: unknown): Handler {
  return (_request, _body, response) =>
    response
      .writeHead(status, { "content-type": "application/json" })
      .end(typeof body === "string" ? body : JSON.stringify(body));
}

describe("spam client", () => {
  it("posts the raw message with the facts in Mailstack-Facts and reads the verdict", async () => {
    let got: { type?: string; facts?: unknown; body?: string } = {};
    handler = (request, body, response) => {
      got = {
        type: request.headers["content-type"],
        facts: JSON.parse(
          Buffer.from(String(request.headers["mailstack-facts"]), "base64url").toString("utf8"),
        ),
        body: body.toString(),
      };
      answer(200, {
        action: "junk",
        score: 7.2,
        symbols: { BAYES_SPAM: 5, SPF_FAIL: 2.2 },
        headers: [
          ["Authentication-Results", "mail.example.test; spf=fail"],
          ["X-Mailstack-Spam", "ham"],
        ],
      })(request, body, response);
    };
    const verdict = await new SpamClient({ url, timeoutMs: 2000 }).check(RAW, FACTS);
    assert.equal(got.type, "message/rfc822");
    assert.deepEqual(got.facts, FACTS);
    assert.equal(got.body, RAW.toString());
    assert.deepEqual(verdict, {
      kind: "verdict",
      action: "junk",
      score: 7.2,
      symbols: ["BAYES_SPAM", "SPF_FAIL"],
      headers: [["Authentication-Results", "mail.example.test; spf=fail"]], // ours alone to write
    });
    assert.equal(verdictValue(verdict), "junk; score=7.20");
  });

  it("reads greylist as a verdict of its own", async () => {
    handler = answer(200, { action: "greylist", score: 3, required: 6 });
    const verdict = await new SpamClient({ url, timeoutMs: 2000 }).check(RAW, FACTS);
    assert.equal(verdict.kind === "verdict" && verdict.action, "greylist");
  });

  it("reads ham and a symbol list, and folded header values", async () => {
    handler = answer(200, {
      action: "accept",
      score: -0.5,
      symbols: ["HAM"],
      headers: [["Authentication-Results", "mail.example.test;\r\n\tdkim=pass"]],
    });
    const verdict = await new SpamClient({ url, timeoutMs: 2000 }).check(RAW, FACTS);
    assert.equal(verdictValue(verdict), "ham; score=-0.50");
    assert.equal(verdict.kind === "verdict" && verdict.headers.length, 1);
  });

  const failures: [string, Handler | "refused", RegExp][] = [
    ["an HTTP error", answer(500, "oops"), /^HTTP 500$/],
    ["a body that is not JSON", answer(200, "<html>"), /^unreadable answer/],
    ["an unknown action", answer(200, { action: "quarantine", score: 1 }), /action/],
    ["a score that is not a number", answer(200, { action: "accept", score: "low" }), /score/],
    [
      "a header value that would inject a field",
      answer(200, { action: "accept", score: 0, headers: [["X-A", "1\r\nBcc: victim@x"]] }),
      /headers/,
    ],
    [
      "a header name with a space",
      answer(200, { action: "accept", score: 0, headers: [["Bad Name", "v"]] }),
      /headers/,
    ],
    ["no answer in time", () => undefined, /^timed out$/],
    ["a refused connection", "refused", /ECONNREFUSED/],
  ];
  for (const [what, how, reason] of failures) {
    it(`calls ${what} unavailable`, async () => {
      let target = url;
      if (how === "refused") {
        const closed = createServer().listen(0, "127.0.0.1");
        await new Promise((resolve) => closed.once("listening", resolve));
        target = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
        await new Promise((resolve) => closed.close(resolve));
      } else handler = how;
      const verdict = await new SpamClient({ url: target, timeoutMs: 300 }).check(RAW, FACTS);
      assert.equal(verdict.kind, "unavailable");
      assert.match(verdict.kind === "unavailable" ? verdict.reason : "", reason);
      assert.equal(verdictValue(verdict), "unchecked; reason=spam service unavailable");
    });
  }
});
