/**
 * The HTTP API over a real loopback socket: both request forms of /check, /learn, /health, the
 * error catalogue, and the database surviving a restart of the service.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunningServer } from "../shared/lifecycle.ts";
import { GTUBE } from "./analyzers/gtube.ts";
import { openDatabase } from "./database.ts";
import { createCachingResolver, staticLookup } from "./dns-cache.ts";
import { createEngine } from "./engine.ts";
import { startSpamService } from "./service.ts";
import { gardeningMessage, hamMessage, spamMessage, syntheticSeed } from "./testing/corpus.ts";
import { message, silentLog, testConfig } from "./testing/harness.ts";

let dir: string;
let server: RunningServer;
let base: string;

const ZONE = {
  "TXT _dmarc.bank.example": [["v=DMARC1; p=reject"]],
  "TXT bank.example": [["v=spf1 -all"]],
};

async function start(): Promise<void> {
  const config = testConfig({
    dataDir: join(dir, "data"),
    maxMessageBytes: 100_000,
    bayes: { minSpam: 5, minHam: 5 },
  });
  server = await startSpamService(config, silentLog, {
    resolve: createCachingResolver(staticLookup(ZONE)).resolve,
  });
  base = `http://127.0.0.1:${server.endpoints[0]?.port ?? 0}`;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-spam-http-"));
  // The operator's seed corpus, trained before the service starts.
  const db = openDatabase(join(dir, "data"));
  const seeder = createEngine(testConfig({ dataDir: join(dir, "data") }), {
    db,
    resolve: createCachingResolver(staticLookup({})).resolve,
    log: silentLog,
  });
  seeder.seed(syntheticSeed());
  db.close();
  await start();
});
after(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function post(
  path: string,
  body: string | Buffer,
  type = "application/json",
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    body,
    headers: { "content-type": type, ...headers },
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

const checkJson = (raw: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    raw: Buffer.from(raw).toString("base64"),
    mailFrom: "sender@example.org",
    rcptTo: ["user@example.com"],
    clientAddress: "203.0.113.9",
    helo: "mail.example.org",
    tls: { version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" },
    ...extra,
  });

describe("POST /check", () => {
  it("GTUBE is rejected, with the symbols and the headers to add", async () => {
    const { status, body } = await post("/check", checkJson(message({ body: `${GTUBE}\r\n` })));
    assert.equal(status, 200);
    assert.equal(body.action, "reject");
    const symbols = body.symbols as { name: string; score: number }[];
    assert.ok(symbols.some((s) => s.name === "GTUBE" && s.score === 0));
    const headers = new Map(body.headers as [string, string][]);
    assert.match(headers.get("Authentication-Results") ?? "", /^mx\.example\.com;/);
    assert.match(headers.get("X-Spam-Status") ?? "", /^Yes, score=/);
    for (const value of headers.values())
      assert.match(value, /^(?:[^\r\n]|\r\n[ \t])*$/, "one line, or folded with CRLF + WSP");
  });

  it("a failing DMARC p=reject is rejected", async () => {
    const raw = message({ headers: { From: "Bank <alerts@bank.example>" } });
    const { body } = await post("/check", checkJson(raw, { mailFrom: "alerts@bank.example" }));
    assert.equal(body.action, "reject");
    assert.ok((body.symbols as { name: string }[]).some((s) => s.name === "DMARC_FAIL_REJECT"));
  });

  it("form 2: message/rfc822 with the facts in Mailstack-Facts, answered with symbols by name", async () => {
    const facts = {
      id: "q1",
      envelope: { from: "sender@example.org", to: ["user@example.com"] },
      client: { address: "203.0.113.9", helo: "mail.example.org", tls: null },
      user: null,
      hostname: "mx.example.com",
      receivedAt: new Date().toISOString(),
    };
    const header = Buffer.from(JSON.stringify(facts)).toString("base64url");
    const { status, body } = await post("/check", spamMessage(77), "message/rfc822", {
      "mailstack-facts": header,
    });
    assert.equal(status, 200);
    assert.equal(body.action, "junk");
    const symbols = body.symbols as Record<string, number>;
    assert.equal(symbols.BAYES_SPAM_99, 5);
    assert.equal(symbols.NGRAM_SPAM_99, 5);
    assert.match((body.symbolDetails as Record<string, string>).BAYES_SPAM_99 ?? "", /%$/);
    assert.ok(Array.isArray(body.headers));
  });

  it("ham is accepted", async () => {
    const { body } = await post("/check", checkJson(hamMessage(77)));
    assert.equal(body.action, "accept");
    assert.ok((body.score as number) < 0);
  });
});

describe("POST /learn and persistence", () => {
  it("learning changes the user's verdict, and it survives a restart", async () => {
    const forAlice = checkJson(gardeningMessage(60), { rcptTo: ["alice@example.com"] });
    assert.equal((await post("/check", forAlice)).body.action, "accept");
    for (let i = 0; i < 4; i++) {
      const learn = JSON.stringify({
        user: "alice@example.com",
        verdict: "spam",
        raw: Buffer.from(gardeningMessage(i)).toString("base64"),
      });
      const { status, body } = await post("/learn", learn);
      assert.equal(status, 200);
      assert.deepEqual(body, {
        user: "learned",
        vote: "counted",
        global: "unchanged",
        votes: { spam: 1, ham: 0 },
      });
    }
    assert.equal((await post("/check", forAlice)).body.action, "junk");
    await server.stop();
    await start();
    assert.equal(
      (await post("/check", forAlice)).body.action,
      "junk",
      "the user's model was kept on disk",
    );
    const forBob = checkJson(gardeningMessage(60), { rcptTo: ["bob@example.com"] });
    assert.equal((await post("/check", forBob)).body.action, "accept");
  });
});

describe("the rest of the API", () => {
  it("GET /health", async () => {
    const response = await fetch(`${base}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok" });
  });

  const cases: [string, () => Promise<Answer>, number, string][] = [
    ["unknown path", () => post("/nope", "{}"), 404, "not_found"],
    ["GET on /check", async () => {
      const r = await fetch(`${base}/check`);
      return { status: r.status, body: (await r.json()) as Record<string, unknown>, headers: r.headers };
    }, 405, "method_not_allowed"],
    ["text/plain body", () => post("/check", "hello", "text/plain"), 415, "unsupported_media_type"],
    ["not JSON", () => post("/check", "{oops"), 400, "bad_json"],
    ["JSON off the contract", () => post("/check", JSON.stringify({ raw: "", rcptTo: [] })), 400, "invalid_request"],
    ["a bad client address", () => post("/check", checkJson(message(), { clientAddress: "999.1.1.1" })), 400, "invalid_request"],
    ["learn with a bad verdict", () => post("/learn", JSON.stringify({ user: "a@example.com", verdict: "maybe", raw: "" })), 400, "invalid_request"],
    ["form 2 without facts", () => post("/check", message(), "message/rfc822"), 400, "invalid_request"],
    ["a message over maxMessageBytes", () => post("/check", checkJson(message({ body: "x".repeat(120_000) }))), 413, "too_large"],
    ["form 2 over maxMessageBytes", () => post("/check", Buffer.alloc(150_000, 65), "message/rfc822"), 413, "too_large"],
  ]; // prettier-ignore
  for (const [name, send, status, code] of cases) {
    it(`${name} -> ${status} ${code}`, async () => {
      const answer = await send();
      assert.equal(answer.status, status);
      assert.equal((answer.body.error as { code: string }).code, code);
    });
  }

  it("405 names the allowed methods", async () => {
    const response = await fetch(`${base}/learn`, { method: "PUT", body: "{}" });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST");
    await response.body?.cancel();
  });
});
