/**
 * The offline plan as a reviewer meets it: `mailstack plan --stack <env>` run as a command, its
 * zone files loaded into a real named, which then answers the records the stack declares.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startNamed, type Named } from "../../test/helpers/bind.ts";
import type { Plan } from "./plan.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "cli/main.ts");

describe("mailstack plan", () => {
  let dir: string;
  let named: Named;
  let plan: Plan;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mailstack-plan-"));
    const { stdout } = await run(TSX, [
      CLI,
      "plan",
      "--stack",
      "prod",
      "--json",
      "--zone-dir",
      dir,
    ]);
    plan = JSON.parse(stdout) as Plan;
    named = await startNamed(
      await Promise.all(
        plan.zones.map(async (z) => ({
          zone: z.zone,
          text: await readFile(join(dir, `${z.zone}.zone`), "utf8"),
        })),
      ),
    );
  });
  after(async () => {
    await named.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists prod's containers: no POP3 (not offered), every secret by name only", () => {
    assert.deepEqual(
      plan.containers.map((c) => c.name),
      [
        "mailstack-directory",
        "mailstack-spam",
        "mailstack-mda",
        "mailstack-mta",
        "mailstack-imap",
        "mailstack-webmail",
      ],
    );
    assert.doesNotMatch(JSON.stringify(plan.containers), /PRIVATE KEY|secure/);
  });

  it("declares both prod zones and every DKIM selector with its state", () => {
    assert.deepEqual(plan.zones.map((z) => z.zone).sort(), ["example.com", "example.org"]);
    assert.deepEqual(
      plan.dkim.map((r) => [r.domain, r.selector, r.state, r.signing]),
      [
        ["example.com", "rsa2026a", "active", true],
        ["example.com", "ed2026a", "active", true],
        ["example.com", "rsa2026b", "pending", false],
        ["example.org", "org2026a", "active", true],
      ],
    );
  });

  it("gives zone files that a real DNS server loads and answers from", async () => {
    const dns = named.resolver();
    // Newer Node versions add a `type` field to each answer; compare the record data only.
    const data = <T extends object>(answers: T[]) =>
      answers.map((a) => Object.fromEntries(Object.entries(a).filter(([k]) => k !== "type")));
    assert.deepEqual(data(await dns.resolveMx("example.com")), [
      { exchange: "mail.example.com", priority: 10 },
    ]);
    assert.deepEqual(await dns.resolve4("mail.example.com"), ["203.0.113.25"]);
    assert.deepEqual(await dns.resolve6("mail.example.com"), ["2001:db8:25::25"]);
    const txt = async (name: string) =>
      (await dns.resolveTxt(name)).map((chunks) => chunks.join(""));
    assert.deepEqual(await txt("example.com"), [
      "v=spf1 mx include:spf.newsletter.example.net -all",
    ]);
    assert.deepEqual(await txt("_dmarc.example.com"), [
      "v=DMARC1; p=reject; adkim=s; rua=mailto:dmarc-reports@example.com",
    ]);
    assert.match((await txt("_mta-sts.example.org"))[0] ?? "", /^v=STSv1; id=[0-9a-f]{32}$/);
    assert.deepEqual(await txt("_smtp._tls.example.com"), [
      "v=TLSRPTv1; rua=mailto:tls-reports@example.com",
    ]);
    assert.deepEqual(await txt("ed2026a._domainkey.example.com"), [
      "v=DKIM1; k=ed25519; p=GeneratedByPulumiUp",
    ]);
    // POP3 is disabled in prod: its SRV records say "not here".
    assert.deepEqual(data(await dns.resolveSrv("_pop3s._tcp.example.com")), [
      { name: "", port: 0, priority: 0, weight: 0 },
    ]);
    assert.deepEqual(data(await dns.resolveSrv("_imaps._tcp.example.org")), [
      { name: "mail.example.com", port: 993, priority: 0, weight: 1 },
    ]);
    const caa = await dns.resolveCaa("example.com");
    assert.deepEqual(
      data(caa).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [
        { critical: 0, iodef: "mailto:security@example.com" },
        { critical: 0, issue: "letsencrypt.org" },
      ],
    );
  });

  it("prints the plan for people, with the zone files and the selector table", async () => {
    const { stdout } = await run(TSX, [CLI, "plan", "--stack", "dev"]);
    assert.match(stdout, /^# mailstack plan for stack dev/);
    assert.match(
      stdout,
      /dev2026a\._domainkey\.dev\.example\.test\. 300 IN TXT "v=DKIM1; k=rsa; p=GeneratedByPulumiUp"/,
    );
    assert.match(stdout, /\| dev\.example\.test \| dev2026a \| rsa2048 \| active \| yes \| yes \|/);
    assert.match(stdout, /^## Containers on unix:\/\/\/var\/run\/docker\.sock$/m);
    assert.match(
      stdout,
      /^\| mailstack-mta \| mailstack-server:latest \(built from images\/server\.Dockerfile\) \| 0\.0\.0\.0:25->2525, 0\.0\.0\.0:587->2587, 0\.0\.0\.0:465->2465 \| queue:\/var\/lib\/mailstack\/queue, lmtp:\/run\/mailstack \| tls-key, directory-service-password, dkim:dev\.example\.test:dev2026a \|$/m,
    );
    assert.match(
      stdout,
      /^\| mailstack-directory \| .* \| 127\.0\.0\.1:3389->3389 \| directory:\/var\/lib\/ldap \| directory-admin-password, tls-key \|$/m,
    );
  });

  it("names the problem when the stack does not exist or is not given", async () => {
    const missing = await run(TSX, [CLI, "plan", "--stack", "nosuch"]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal((missing as { code: number }).code, 78);
    assert.match(missing.stderr, /stacks\/Pulumi\.nosuch\.yaml: cannot read the file: ENOENT/);
    const none = await run(TSX, [CLI, "plan"]).catch((e: { code: number; stderr: string }) => e);
    assert.equal((none as { code: number }).code, 64);
    assert.match(none.stderr, /--stack <env> is required/);
  });
});
