/**
 * `mailstack dkim rotate` against temporary copies of the stack files, with `pulumi` replaced by
 * a recording fake (fake-pulumi.ts) first on PATH in this test only. The fake applies the
 * `config set-all/rm-all --path` edits to the file, so successive runs walk a whole rotation.
 */
import assert from "node:assert/strict";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { stackDkimTransitionProblems } from "../../components/dkim/transitions.ts";
import { loadStackFile } from "../../stacks/load.ts";
import type { StackConfig } from "../../stacks/schema.ts";
import { ConfigError } from "../../servers/shared/config.ts";
import { dkimCommand } from "./dkim-command.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FAKE = fileURLToPath(new URL("./fake-pulumi.ts", import.meta.url));
const NOW = new Date("2026-05-14T12:00:00Z");
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A temporary project: Pulumi.yaml, stacks/Pulumi.<env>.yaml copies, and bin/pulumi (the fake). */
async function project() {
  const dir = await mkdtemp(join(tmpdir(), "mailstack-rotate-"));
  dirs.push(dir);
  await mkdir(join(dir, "stacks"));
  await mkdir(join(dir, "bin"));
  await writeFile(
    join(dir, "Pulumi.yaml"),
    "name: mailstack\nruntime: nodejs\nstackConfigDir: stacks\n",
  );
  for (const env of ["dev", "prod"]) {
    await copyFile(
      join(ROOT, "stacks", `Pulumi.${env}.yaml`),
      join(dir, "stacks", `Pulumi.${env}.yaml`),
    );
  }
  // This test's Node (24) runs the fake and strips its types.
  const wrapper = `#!/bin/sh\nexec "${process.execPath}" --disable-warning=ExperimentalWarning "${FAKE}" "$@"\n`;
  await writeFile(join(dir, "bin", "pulumi"), wrapper);
  await chmod(join(dir, "bin", "pulumi"), 0o755);
  const log = join(dir, "pulumi.log");
  const env = { PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`, FAKE_PULUMI_LOG: log };
  const stackFile = (env: string) => join(dir, "stacks", `Pulumi.${env}.yaml`);

  /** Runs `mailstack dkim ...` from the project's stacks/ directory. */
  async function rotate(args: string[], extraEnv: Record<string, string> = {}) {
    let out = "";
    let err = "";
    const code = await dkimCommand(["rotate", ...args], {
      cwd: join(dir, "stacks"),
      env: { ...env, ...extraEnv },
      now: NOW,
      write: (text) => (out += text),
      writeError: (text) => (err += text),
    });
    return { code, out, err };
  }
  /** The pulumi commands recorded so far, and empties the record. */
  async function recorded(): Promise<{ argv: string[]; cwd: string }[]> {
    const text = await readFile(log, "utf8").catch(() => "");
    await writeFile(log, "");
    return text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { argv: string[]; cwd: string });
  }
  return { dir, env, stackFile, rotate, recorded };
}

const selectors = (config: StackConfig, domain: number) =>
  (config.domains[domain]?.dkim ?? []).map((s) => `${s.selector}:${s.state}`).join(" ");
const SET = ["config", "set-all", "--stack", "prod", "--path"];

describe("mailstack dkim rotate on the prod stack", async () => {
  const p = await project();
  let previous = await loadStackFile(p.stackFile("prod"));

  /** One run: the pulumi commands it made, the file after it, and the check of the change. */
  async function step(args: string[], commands: string[][], expected: string, domain = 0) {
    const { code, out, err } = await p.rotate(args);
    assert.equal(err, "");
    assert.equal(code, 0);
    assert.deepEqual(
      await p.recorded(),
      commands.map((argv) => ({ argv, cwd: p.dir })),
    );
    const next = await loadStackFile(p.stackFile("prod"));
    assert.equal(selectors(next, domain), expected);
    assert.deepEqual(stackDkimTransitionProblems(previous.domains, next.domains), []);
    previous = next;
    return out;
  }

  const exampleCom = ["--stack", "prod", "--domain", "example.com", "--algorithm", "rsa2048"];

  it("1. switches signing to the pending rsa2026b and retires rsa2026a", async () => {
    const out = await step(
      exampleCom,
      [
        [
          ...SET,
          "--plaintext",
          "mailstack:domains[0].dkim[0].state=retiring",
          "--plaintext",
          "mailstack:domains[0].dkim[2].state=active",
        ],
      ],
      "rsa2026a:retiring ed2026a:active rsa2026b:active",
    );
    assert.match(
      out,
      /^example\.com \(Pulumi\.prod\.yaml\): rsa2026b \(rsa2048\) now signs example\.com mail; rsa2026a is retiring/,
    );
    assert.match(
      out,
      /\n  ran: pulumi config set-all --stack prod --path --plaintext 'mailstack:domains\[0\]\.dkim\[0\]\.state=retiring' /,
    );
    assert.match(
      out,
      /\nNext: Run pulumi up, then keep rsa2026a published .*rotate again to remove it\.\n$/,
    );
  });

  it("2. removes the retiring rsa2026a", async () => {
    const out = await step(
      exampleCom,
      [["config", "rm-all", "--stack", "prod", "--path", "mailstack:domains[0].dkim[0]"]],
      "ed2026a:active rsa2026b:active",
    );
    assert.match(out, /Removed the retiring rsa2026a from example\.com/);
  });

  it("3. publishes a new pending rsa2026c", async () => {
    const key = "mailstack:domains[0].dkim[2]";
    const out = await step(
      exampleCom,
      [
        [
          ...SET,
          "--plaintext",
          `${key}.selector=rsa2026c`,
          "--plaintext",
          `${key}.algorithm=rsa2048`,
          "--plaintext",
          `${key}.state=pending`,
        ],
      ],
      "ed2026a:active rsa2026b:active rsa2026c:pending",
    );
    assert.match(
      out,
      /Next: Run pulumi up, then wait until rsa2026c\._domainkey\.example\.com has spread \(at least the record's TTL \(3600 s\)/,
    );
  });

  it("4. switches again: rsa2026c signs, rsa2026b retires", async () => {
    await step(
      exampleCom,
      [
        [
          ...SET,
          "--plaintext",
          "mailstack:domains[0].dkim[1].state=retiring",
          "--plaintext",
          "mailstack:domains[0].dkim[2].state=active",
        ],
      ],
      "ed2026a:active rsa2026b:retiring rsa2026c:active",
    );
  });

  it("rotates the Ed25519 key of example.com on its own", async () => {
    const key = "mailstack:domains[0].dkim[3]";
    await step(
      ["--stack", "prod", "--domain", "example.com", "--algorithm", "ed25519"],
      [
        [
          ...SET,
          "--plaintext",
          `${key}.selector=ed2026b`,
          "--plaintext",
          `${key}.algorithm=ed25519`,
          "--plaintext",
          `${key}.state=pending`,
        ],
      ],
      "ed2026a:active rsa2026b:retiring rsa2026c:active ed2026b:pending",
    );
  });

  it("rotates example.org without --algorithm (it has one), keeping its selector prefix", async () => {
    const key = "mailstack:domains[1].dkim[1]";
    await step(
      ["--stack", "prod", "--domain", "example.org"],
      [
        [
          ...SET,
          "--plaintext",
          `${key}.selector=org2026b`,
          "--plaintext",
          `${key}.algorithm=rsa2048`,
          "--plaintext",
          `${key}.state=pending`,
        ],
      ],
      "org2026a:active org2026b:pending",
      1,
    );
  });

  // The next step would remove rsa2026b; the fake fails as Pulumi does without its passphrase.
  it("leaves the file alone when pulumi fails, and says so", async () => {
    const before = await readFile(p.stackFile("prod"), "utf8");
    const { code, err } = await p.rotate(exampleCom, {
      FAKE_PULUMI_FAIL: "passphrase must be set with PULUMI_CONFIG_PASSPHRASE",
    });
    assert.equal(code, 1);
    assert.match(
      err,
      /pulumi config rm-all failed, Pulumi\.prod\.yaml is unchanged:\nerror: passphrase must be set/,
    );
    assert.equal(await readFile(p.stackFile("prod"), "utf8"), before);
    assert.equal((await p.recorded()).length, 1, "pulumi was called once");
  });
});

describe("mailstack dkim rotate refuses to guess", async () => {
  const p = await project();
  const refusals: [string[], RegExp][] = [
    [
      ["--stack", "prod"],
      /has several domains \(example\.com, example\.org\): say which with --domain/,
    ],
    [
      ["--stack", "prod", "--domain", "example.com"],
      /example\.com signs with rsa2048 and ed25519: say which key to rotate with --algorithm/,
    ],
    [
      ["--stack", "prod", "--domain", "example.net"],
      /example\.net is not a domain of Pulumi\.prod\.yaml \(example\.com, example\.org\)/,
    ],
    [
      ["--stack", "prod", "--algorithm", "dsa"],
      /--algorithm must be rsa2048 or ed25519, not "dsa"/,
    ],
    [["--domain", "example.com"], /--stack ENV is required/],
    [["--stack", "prod", "--selector", "x"], /Unknown option '--selector'/],
  ];
  for (const [args, message] of refusals) {
    it(`mailstack dkim rotate ${args.join(" ")}`, async () => {
      const { code, err } = await p.rotate(args);
      assert.equal(code, 64);
      assert.match(err, message);
      assert.deepEqual(await p.recorded(), [], "no pulumi command ran");
    });
  }

  it("says when there is no pulumi command at all", async () => {
    const { code, err } = await p.rotate(["--stack", "dev"], { PATH: join(p.dir, "nothing") });
    assert.equal(code, 1);
    assert.match(err, /Pulumi\.dev\.yaml is unchanged:\nthe pulumi command was not found/);
  });

  it("reports a stack that has no file as a config error", async () => {
    await assert.rejects(p.rotate(["--stack", "staging"]), (error: unknown) => {
      return (
        error instanceof ConfigError &&
        /Pulumi\.staging\.yaml: cannot read the file: ENOENT/.test(error.message)
      );
    });
  });
});

describe("mailstack dkim rotate through cli/main.ts", () => {
  it("publishes the dev stack's next selector, with every default", async () => {
    const p = await project();
    const result = await execa(
      join(ROOT, "node_modules", ".bin", "tsx"),
      [join(ROOT, "cli", "main.ts"), "dkim", "rotate", "--stack", "dev"],
      {
        cwd: p.dir,
        env: p.env,
        reject: false,
      },
    );
    assert.equal(result.stderr, "");
    assert.equal(result.exitCode, 0);
    assert.match(
      result.stdout,
      /^dev\.example\.test \(stacks\/Pulumi\.dev\.yaml\): Added dev\d{4}[a-z] \(rsa2048\) to dev\.example\.test as pending/,
    );
    const [command, ...more] = await p.recorded();
    assert.deepEqual(more, []);
    assert.deepEqual(command?.argv.slice(0, 6), [
      "config",
      "set-all",
      "--stack",
      "dev",
      "--path",
      "--plaintext",
    ]);
    const config = await loadStackFile(p.stackFile("dev"));
    assert.match(selectors(config, 0), /^dev2026a:active dev\d{4}[a-z]:pending$/);
  });
});
