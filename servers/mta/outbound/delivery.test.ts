/**
 * Outbound delivery over real sockets: a real `named` serves the MX records, fake MX hosts
 * (smtp-server) listen on 127.0.0.x and ::1 at one shared port, and the deliverer routes,
 * falls back, maps replies per recipient, and negotiates TLS.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startNamed, type Named } from "../../../test/helpers/bind.ts";
import { createDnsResolver } from "../../shared/dns/resolver.ts";
import { ensureLocalCa, issueServerCertificate } from "../../shared/tls/local-ca.ts";
import { readFile } from "node:fs/promises";
import { queueConfigSchema, type QueueConfig } from "../queue/config.ts";
import type { StoredEnvelope, StoredRecipient } from "../queue/records.ts";
import type { Outcome } from "../queue/recipient-state.ts";
import { createDeliverer, type Destination } from "./delivery.ts";
import { commonFreePort, message, silentLog, startFakes } from "./testing/net.ts";
import type { FakeSmtp, FakeSmtpOptions } from "./testing/fake-smtp.ts";

const ZONE = `$TTL 60
@        IN SOA ns.mx.test. hostmaster.mx.test. 1 60 60 600 60
@        IN NS  ns.mx.test.
ns       IN A   127.0.0.1
; fallback: mx1 has nothing listening, mx2 answers
@        IN MX  10 mx1.mx.test.
@        IN MX  20 mx2.mx.test.
mx1      IN A   127.0.0.2
mx2      IN A   127.0.0.3
; preference: both answer, the lower preference wins
pref     IN MX  20 mxb.mx.test.
pref     IN MX  10 mxa.mx.test.
mxa      IN A   127.0.0.5
mxb      IN A   127.0.0.6
; implicit MX: no MX, an A record
implicit IN A   127.0.0.4
nullmx   IN MX  0 .
noaddr   IN MX  10 nothing.mx.test.
greet    IN MX  10 g1.mx.test.
greet    IN MX  20 g2.mx.test.
g1       IN A   127.0.0.8
g2       IN A   127.0.0.9
tls      IN MX  10 mail.tls.mx.test.
mail.tls IN A   127.0.0.7
plain    IN MX  10 mail.plain.mx.test.
mail.plain IN A 127.0.0.10
badtls   IN MX  10 mail.badtls.mx.test.
mail.badtls IN A 127.0.0.12
ascii    IN MX  10 mail.ascii.mx.test.
mail.ascii IN A 127.0.0.13
six      IN MX  10 v6.mx.test.
v6       IN AAAA ::1
`;

let named: Named;
let dir: string;
let port: number;
let fakes: Record<string, FakeSmtp>;
let closeFakes: () => Promise<void>;
let config: QueueConfig;
/** What the "plain" MX answers, set per test. */
const script: { rcpt?: FakeSmtpOptions["rcpt"]; data?: FakeSmtpOptions["data"] } = {};

const HOSTS = ["127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8"];
const MORE_HOSTS = [
  "127.0.0.9",
  "127.0.0.10",
  "127.0.0.11",
  "127.0.0.12",
  "127.0.0.13",
  "::1",
  "127.0.0.2",
];

before(async () => {
  named = await startNamed([{ zone: "mx.test", text: ZONE }]);
  dir = await mkdtemp(join(tmpdir(), "mailstack-delivery-"));
  const ca = await ensureLocalCa(join(dir, "ca"));
  const cert = await issueServerCertificate(ca, {
    dnsNames: ["mail.tls.mx.test"],
    ipAddresses: [],
    dir: join(dir, "certs"),
    name: "mx",
  });
  const tls = {
    key: await readFile(cert.keyPath, "utf8"),
    cert: await readFile(cert.certPath, "utf8"),
  };
  port = await commonFreePort([...HOSTS, ...MORE_HOSTS]);
  const at = (host: string) => ({ host, port });
  ({ fakes, close: closeFakes } = await startFakes({
    mx2: at("127.0.0.3"),
    implicit: at("127.0.0.4"),
    mxa: { ...at("127.0.0.5"), dsn: true },
    mxb: at("127.0.0.6"),
    tls: { ...at("127.0.0.7"), tls, requireTls: true },
    g1: { ...at("127.0.0.8"), greeting: () => "421 4.3.2 too busy" },
    g2: at("127.0.0.9"),
    plain: {
      ...at("127.0.0.10"),
      rcpt: (a, n) => script.rcpt?.(a, n),
      data: (m, n) => script.data?.(m, n),
    },
    v6: at("::1"),
    // An old server: neither SMTPUTF8 nor 8BITMIME.
    ascii: { ...at("127.0.0.13"), smtpUtf8: false, eightBitMime: false },
    // A handshake no modern client completes: TLS 1.0 only.
    badtls: { ...at("127.0.0.12"), tls: { ...tls, maxVersion: "TLSv1" } },
    lmtp: {
      ...at("127.0.0.11"),
      lmtp: true,
      rcpt: (a) => (a.startsWith("nobody@") ? "550 5.1.1 no such user" : undefined),
    },
  }));
  config = queueConfigSchema.parse({
    spoolDir: join(dir, "spool"),
    hostname: "mta.local.test",
    outbound: { port, caPaths: [ca.caCertPath] },
    timeouts: { connectSeconds: 2, greetingSeconds: 2, idleSeconds: 5 },
    local: { domains: ["local.test"], lmtp: { kind: "tcp", host: "127.0.0.11", port } },
  });
});

after(async () => {
  await closeFakes?.();
  await named?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

function envelope(
  recipients: StoredRecipient[],
  extra: Partial<StoredEnvelope> = {},
): StoredEnvelope {
  return {
    v: 1,
    id: "0000000000abcdef0123",
    from: "alice@local.test",
    recipients,
    origin: { kind: "submission" },
    arrivedAt: Date.now(),
    size: 100,
    ...extra,
  };
}

async function deliver(
  to: string[],
  destination: Destination,
  extra: Partial<StoredEnvelope> = {},
  recipients?: StoredRecipient[],
  raw?: Buffer,
): Promise<Outcome[]> {
  const deliverer = createDeliverer(config, {
    resolver: createDnsResolver({ servers: [`127.0.0.1:${named.port}`] }),
    log: silentLog,
    random: () => 0,
  });
  const rcpts = recipients ?? to.map((address) => ({ address }));
  const env = envelope(rcpts, extra);
  const outcomes = await deliverer.deliver({
    envelope: env,
    raw: raw ?? message(`delivery ${to.join(" ")}`),
    recipients: rcpts.map((recipient, index) => ({ index, recipient })),
    destination,
  });
  return rcpts.map((_, i) => outcomes.get(i)!);
}

const mx = (domain: string): Destination => ({ kind: "mx", domain });
const brief = (o: Outcome) => `${o.kind} ${o.result.status}`;

describe("MX routing (RFC 5321 §5.1, RFC 7505)", () => {
  it("falls back to the next MX when the first refuses connections", async () => {
    const before = fakes.mx2!.messages.length;
    const [o] = await deliver(["bob@mx.test"], mx("mx.test"));
    assert.equal(brief(o!), "delivered 2.0.0");
    assert.equal(o!.result.relay, `mx2.mx.test[127.0.0.3]:${port}`);
    assert.equal(fakes.mx2!.messages.length, before + 1);
  });
  it("uses the lowest preference first", async () => {
    const [o] = await deliver(["bob@pref.mx.test"], mx("pref.mx.test"));
    assert.equal(o!.result.remoteMta, "mxa.mx.test");
    assert.equal(fakes.mxa!.messages.length, 1);
    assert.equal(fakes.mxb!.messages.length, 0);
  });
  it("delivers to the A record when there is no MX (implicit MX)", async () => {
    const [o] = await deliver(["bob@implicit.mx.test"], mx("implicit.mx.test"));
    assert.equal(brief(o!), "delivered 2.0.0");
    assert.equal(fakes.implicit!.messages.length, 1);
  });
  it("reaches an MX over IPv6", async () => {
    const [o] = await deliver(["bob@six.mx.test"], mx("six.mx.test"));
    assert.equal(o!.result.relay, `v6.mx.test[::1]:${port}`);
    assert.equal(fakes.v6!.messages.length, 1);
  });
  it("fails a null MX at once with 5.1.10", async () => {
    assert.equal(
      brief((await deliver(["bob@nullmx.mx.test"], mx("nullmx.mx.test")))[0]!),
      "permanent 5.1.10",
    );
  });
  it("fails NXDOMAIN permanently (5.1.2)", async () => {
    assert.equal(
      brief((await deliver(["bob@nx.mx.test"], mx("nx.mx.test")))[0]!),
      "permanent 5.1.2",
    );
  });
  it("fails an MX without addresses permanently (5.4.4)", async () => {
    assert.equal(
      brief((await deliver(["bob@noaddr.mx.test"], mx("noaddr.mx.test")))[0]!),
      "permanent 5.4.4",
    );
  });
  it("treats a refused query (SERVFAIL-like) as temporary (4.4.3)", async () => {
    assert.equal(
      brief((await deliver(["bob@elsewhere.example"], mx("elsewhere.example")))[0]!),
      "temporary 4.4.3",
    );
  });
  it("moves on when an MX greets with 421", async () => {
    const [o] = await deliver(["bob@greet.mx.test"], mx("greet.mx.test"));
    assert.equal(o!.result.remoteMta, "g2.mx.test");
    assert.equal(fakes.g2!.messages.length, 1);
  });
  it("delivers to an address literal directly", async () => {
    const [o] = await deliver(["bob@[127.0.0.10]"], mx("[127.0.0.10]"));
    assert.equal(brief(o!), "delivered 2.0.0");
  });
});

describe("per-recipient replies (RFC 5321 §4.2.1)", () => {
  it("maps 2xx, 4xx and 5xx at RCPT to delivered, temporary and permanent", async () => {
    script.rcpt = (a) =>
      a.startsWith("gone@")
        ? "550 5.1.1 no such user"
        : a.startsWith("busy@")
          ? "452 4.2.2 mailbox full"
          : undefined;
    script.data = undefined;
    const before = fakes.plain!.messages.length;
    const outcomes = await deliver(
      ["ok@plain.mx.test", "gone@plain.mx.test", "busy@plain.mx.test"],
      mx("plain.mx.test"),
    );
    assert.deepEqual(outcomes.map(brief), [
      "delivered 2.0.0",
      "permanent 5.1.1",
      "temporary 4.2.2",
    ]);
    assert.equal(outcomes[1]!.result.reply, "550 5.1.1 no such user");
    assert.deepEqual(
      fakes.plain!.messages.slice(before).map((m) => m.to),
      [["ok@plain.mx.test"]],
    );
  });
  it("gives every accepted recipient the reply to DATA: 451 retries, 554 bounces", async () => {
    script.rcpt = undefined;
    script.data = () => "451 4.3.0 try again later";
    assert.deepEqual(
      (await deliver(["a@plain.mx.test", "b@plain.mx.test"], mx("plain.mx.test"))).map(brief),
      ["temporary 4.3.0", "temporary 4.3.0"],
    );
    script.data = () => "554 5.6.0 content rejected";
    assert.deepEqual((await deliver(["a@plain.mx.test"], mx("plain.mx.test"))).map(brief), [
      "permanent 5.6.0",
    ]);
  });
  it("keeps a RCPT refusal when DATA then fails for the others", async () => {
    script.rcpt = (a) => (a.startsWith("later@") ? "450 4.2.1 try later" : undefined);
    script.data = () => "554 5.6.0 content rejected";
    const outcomes = await deliver(
      ["later@plain.mx.test", "now@plain.mx.test"],
      mx("plain.mx.test"),
    );
    assert.deepEqual(outcomes.map(brief), ["temporary 4.2.1", "permanent 5.6.0"]);
  });
  it("retries when all recipients are refused with 4xx, bounces on 5xx", async () => {
    script.data = undefined;
    script.rcpt = () => "451 4.4.3 later";
    assert.deepEqual((await deliver(["x@plain.mx.test"], mx("plain.mx.test"))).map(brief), [
      "temporary 4.4.3",
    ]);
    script.rcpt = () => "550 5.7.1 relay denied";
    assert.deepEqual((await deliver(["x@plain.mx.test"], mx("plain.mx.test"))).map(brief), [
      "permanent 5.7.1",
    ]);
    script.rcpt = undefined;
  });
  it("passes NOTIFY and ORCPT to an MX that speaks DSN, one transaction per parameter set", async () => {
    const before = fakes.mxa!.messages.length;
    const outcomes = await deliver(
      [],
      mx("pref.mx.test"),
      { dsn: { ret: "headers", envid: "env-1" } },
      [
        {
          address: "a@pref.mx.test",
          notify: ["success", "failure"],
          orcpt: "rfc822;a@pref.mx.test",
        },
        { address: "b@pref.mx.test", notify: "never" },
        { address: "c@pref.mx.test", notify: "never" },
      ],
    );
    assert.deepEqual(
      outcomes.map((o) => o.kind === "delivered" && o.action),
      ["handed-off", "handed-off", "handed-off"],
    );
    const got = fakes.mxa!.messages.slice(before);
    assert.deepEqual(
      got.map((m) => m.to),
      [["a@pref.mx.test"], ["b@pref.mx.test", "c@pref.mx.test"]],
    );
    assert.deepEqual(got[0]!.rcptParams[0], {
      address: "a@pref.mx.test",
      notify: ["SUCCESS", "FAILURE"],
      orcpt: "rfc822;a@pref.mx.test",
    });
    assert.deepEqual(got[1]!.rcptParams[0]?.notify, ["NEVER"]);
    assert.equal(got[0]!.mailParams.ret, "HDRS");
    assert.equal(got[0]!.mailParams.envid, "env-1");
  });
  it("reports relayed when the MX does not speak DSN", async () => {
    const [o] = await deliver(["a@plain.mx.test"], mx("plain.mx.test"));
    assert.equal(o?.kind === "delivered" && o.action, "relayed");
  });
});

describe("TLS (RFC 3207, RFC 8689)", () => {
  it("uses STARTTLS when offered, whatever the certificate", async () => {
    const before = fakes.tls!.messages.length;
    await deliver(["a@tls.mx.test"], mx("tls.mx.test"));
    const m = fakes.tls!.messages[before]!;
    assert.equal(m.secure, true);
    assert.equal(m.mailParams.requireTls, false);
  });
  it("retries in plaintext when the STARTTLS handshake fails", async () => {
    const [o] = await deliver(["a@badtls.mx.test"], mx("badtls.mx.test"));
    assert.equal(o!.kind, "delivered");
    assert.equal(fakes.badtls!.messages.at(-1)!.secure, false);
    assert.equal(fakes.badtls!.connections, 2);
  });
  it("sends REQUIRETLS mail over verified TLS to a server that supports it", async () => {
    const before = fakes.tls!.messages.length;
    const [o] = await deliver(["a@tls.mx.test"], mx("tls.mx.test"), { requireTls: true });
    assert.equal(o!.kind, "delivered");
    assert.equal(fakes.tls!.messages[before]!.mailParams.requireTls, true);
  });
  it("returns REQUIRETLS mail when the MX offers no STARTTLS (5.7.10)", async () => {
    assert.equal(
      brief((await deliver(["a@plain.mx.test"], mx("plain.mx.test"), { requireTls: true }))[0]!),
      "permanent 5.7.10",
    );
  });
  it("returns REQUIRETLS mail when the certificate does not match the MX name (5.7.10)", async () => {
    // 127.0.0.7 presents mail.tls.mx.test; reached as an address literal, no name can match.
    assert.equal(
      brief((await deliver(["a@[127.0.0.7]"], mx("[127.0.0.7]"), { requireTls: true }))[0]!),
      "permanent 5.7.10",
    );
  });
});

describe("local recipients over LMTP (RFC 2033)", () => {
  it("delivers per recipient and maps each reply", async () => {
    const outcomes = await deliver(["alice@local.test", "nobody@local.test"], { kind: "lmtp" });
    assert.deepEqual(outcomes.map(brief), ["delivered 2.0.0", "permanent 5.1.1"]);
    const first = outcomes[0];
    assert.equal(first?.kind === "delivered" && first.action, "delivered");
    assert.deepEqual(fakes.lmtp!.messages.at(-1)!.to, ["alice@local.test"]);
  });
  it("retries when the MDA is down", async () => {
    const down = queueConfigSchema.parse({
      ...config,
      local: { domains: ["local.test"], lmtp: { kind: "unix", path: join(dir, "missing.sock") } },
    });
    const deliverer = createDeliverer(down, { resolver: createDnsResolver(), log: silentLog });
    const rcpt = { address: "alice@local.test" };
    const outcomes = await deliverer.deliver({
      envelope: envelope([rcpt]),
      raw: message("down"),
      recipients: [{ index: 0, recipient: rcpt }],
      destination: { kind: "lmtp" },
    });
    assert.equal(brief(outcomes.get(0)!), "temporary 4.4.1");
  });
});

describe("SMTPUTF8 and 8BITMIME kept from the client (RFC 6531 §3.4, RFC 6152)", () => {
  const utf8 = Buffer.from(
    "From: Jos\u00e9 <alice@local.test>\r\nSubject: Gr\u00fc\u00dfe\r\n\r\nHall\u00f6.\r\n",
  );
  const ascii8 = Buffer.from("From: alice@local.test\r\nSubject: plain\r\n\r\nHall\u00f6.\r\n");
  const last = (fake: string) => fakes[fake]!.messages.at(-1)!.mailParams;
  const deliverRaw = (to: string, raw: Buffer, extra: Partial<StoredEnvelope>) =>
    deliver([to], mx(to.split("@")[1]!), extra, undefined, raw);

  it("passes SMTPUTF8 and BODY=8BITMIME on to a server that offers them", async () => {
    const [o] = await deliverRaw("a@implicit.mx.test", utf8, {
      smtpUtf8: true,
      eightBitMime: true,
    });
    assert.equal(o?.kind, "delivered");
    assert.deepEqual(
      { smtpUtf8: last("implicit").smtpUtf8, body: last("implicit").body },
      { smtpUtf8: true, body: "8bitmime" },
    );
  });
  it("passes SMTPUTF8 on for a UTF-8 address even when the client did not say it", async () => {
    const [o] = await deliverRaw("jos\u00e9@implicit.mx.test", ascii8, {});
    assert.equal(o?.kind, "delivered");
    assert.equal(last("implicit").smtpUtf8, true);
  });
  it("sends neither to a server that offers neither, the 8-bit body converted to 7 bit", async () => {
    const [o] = await deliverRaw("a@ascii.mx.test", ascii8, { smtpUtf8: true, eightBitMime: true });
    assert.equal(o?.kind, "delivered");
    assert.deepEqual(
      { smtpUtf8: last("ascii").smtpUtf8, body: last("ascii").body },
      { smtpUtf8: false, body: "7bit" },
    );
    const received = fakes.ascii!.messages.at(-1)!.raw.toString("latin1");
    assert.match(received, /\r\n\r\nHall=C3=B6\.\r\n$/, "RFC 6152 §3: quoted-printable");
  });
  it("returns UTF-8 header fields or addresses a server without SMTPUTF8 cannot take (5.6.7)", async () => {
    const before = fakes.ascii!.messages.length;
    const outcomes = [
      ...(await deliverRaw("a@ascii.mx.test", utf8, { smtpUtf8: true })),
      ...(await deliverRaw("jos\u00e9@ascii.mx.test", ascii8, {})),
    ];
    assert.deepEqual(outcomes.map(brief), ["permanent 5.6.7", "permanent 5.6.7"]);
    assert.equal(fakes.ascii!.messages.length, before, "nothing was sent");
  });
});
