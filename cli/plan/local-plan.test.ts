/**
 * `mailstack plan --config FILE`: a local run's zones with the DKIM keys of its data directory,
 * the ones the runner's MTA signs with, so the zone files can be served as they are.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { dkimPublicKeyValue } from "../../components/dkim/public-key.ts";
import { DKIM_PLACEHOLDER, type Plan } from "./plan.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "cli/main.ts");

const STACK = `config:
  mailstack:hostname: mail.a.test
  mailstack:addresses: { ipv4: [127.0.0.2] }
  mailstack:domains:
    - name: a.test
      dkim:
        - { selector: a2026a, algorithm: rsa2048, state: active }
        - { selector: a2026b, algorithm: ed25519, state: pending }
    - name: other.test
  mailstack:local:
    dataDir: data
`;

async function plan(file: string, zoneDir: string): Promise<Plan> {
  const { stdout } = await run(TSX, [
    CLI,
    "plan",
    "--config",
    file,
    "--json",
    "--zone-dir",
    zoneDir,
  ]);
  return JSON.parse(stdout) as Plan;
}

/** The p= of the key file, as the runner's MTA would sign with it. */
async function publicKeyOf(path: string, algorithm: "rsa2048" | "ed25519"): Promise<string> {
  const pem = createPublicKey(createPrivateKey(await readFile(path, "utf8")))
    .export({ type: "spki", format: "pem" })
    .toString();
  return dkimPublicKeyValue(pem, algorithm);
}

describe("mailstack plan --config", () => {
  let dir: string;
  let first: Plan;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mailstack-local-plan-"));
    await writeFile(join(dir, "a.yaml"), STACK);
    first = await plan(join(dir, "a.yaml"), join(dir, "zones"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("publishes the data directory's keys of every selector, and `local` for a domain with none", async () => {
    const txt = (name: string) =>
      first.zones
        .flatMap((z) => z.records)
        .filter((r) => r.type === "TXT" && r.name === name)
        .map((r) => (r.type === "TXT" ? r.strings.join("") : ""));
    const keys = join(dir, "data", "dkim");
    assert.deepEqual(txt("a2026a._domainkey.a.test"), [
      `v=DKIM1; k=rsa; p=${await publicKeyOf(join(keys, "a.test", "a2026a.key"), "rsa2048")}`,
    ]);
    assert.deepEqual(txt("a2026b._domainkey.a.test"), [
      `v=DKIM1; k=ed25519; p=${await publicKeyOf(join(keys, "a.test", "a2026b.key"), "ed25519")}`,
    ]);
    assert.deepEqual(txt("local._domainkey.other.test"), [
      `v=DKIM1; k=rsa; p=${await publicKeyOf(join(keys, "other.test", "local.key"), "rsa2048")}`,
    ]);
    const zoneFile = await readFile(join(dir, "zones", "a.test.zone"), "utf8");
    assert.doesNotMatch(zoneFile, new RegExp(DKIM_PLACEHOLDER));
    assert.equal(zoneFile, first.zones.find((z) => z.zone === "a.test")?.zoneFile);
  });

  it("keeps the keys on the next run", async () => {
    const again = await plan(join(dir, "a.yaml"), join(dir, "zones2"));
    assert.deepEqual(again.zones, first.zones);
  });

  it("takes --stack or --config, not both", async () => {
    await assert.rejects(
      run(TSX, [CLI, "plan", "--stack", "dev", "--config", join(dir, "a.yaml")]),
      (error: { code?: number; stderr?: string }) =>
        error.code === 64 && /--stack <env> or --config FILE, not both/.test(error.stderr ?? ""),
    );
  });
});
