// The GitHub workflows cannot run here, so this checks what can be checked offline: they parse,
// they run on the right events, they cover exactly the stacks in stacks/, they call commands that
// exist, and every secret they read is documented in docs/deploy.md.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const root = fileURLToPath(new URL("../", import.meta.url));
const text = (path: string) => readFileSync(`${root}${path}`, "utf8");

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly if?: string;
  readonly environment?: string;
  readonly concurrency?: { group: string; "cancel-in-progress": boolean };
  readonly strategy?: { matrix: { stack?: string[]; include?: Record<string, string>[] } };
  readonly steps: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { group: string; "cancel-in-progress": boolean };
  readonly jobs: Record<string, Job>;
}

function workflow(name: string): { source: string; parsed: Workflow } {
  const source = text(`.github/workflows/${name}`);
  return { source, parsed: parse(source) as Workflow };
}

function job(w: Workflow, name: string): Job {
  const found = w.jobs[name];
  assert.ok(found, `no job ${name}`);
  return found;
}

function stacksOf(j: Job): string[] {
  const matrix = j.strategy?.matrix;
  return [...(matrix?.stack ?? []), ...(matrix?.include ?? []).map((m) => m["stack"] ?? "")];
}

function pulumiStep(j: Job): Step {
  const step = j.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
  assert.ok(step, "no pulumi/actions step");
  return step;
}

const stackFiles = readdirSync(`${root}stacks`)
  .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
  .filter((stack) => stack !== undefined)
  .sort();

const preview = workflow("pulumi-preview.yml");
const up = workflow("pulumi-up.yml");

describe("pulumi-preview.yml", () => {
  it("runs on pull requests and may comment on them", () => {
    assert.ok("pull_request" in preview.parsed.on);
    assert.equal(preview.parsed.permissions?.["pull-requests"], "write");
    assert.equal(preview.parsed.concurrency?.["cancel-in-progress"], true);
  });

  it("plans and previews exactly the stacks of stacks/", () => {
    assert.ok(stackFiles.length > 0);
    assert.deepEqual(stacksOf(job(preview.parsed, "plan")).sort(), stackFiles);
    assert.deepEqual(stacksOf(job(preview.parsed, "preview")).sort(), stackFiles);
  });

  it("runs the offline plan of the matrix stack and posts it", () => {
    const steps = job(preview.parsed, "plan").steps;
    const plan = steps.find((s) => s.run?.includes("cli/main.ts plan --stack"));
    assert.ok(plan, "no step runs `mailstack plan --stack`");
    assert.match(plan.run ?? "", /GITHUB_STEP_SUMMARY/);
    assert.ok(steps.some((s) => s.uses?.startsWith("actions/github-script@")));
  });

  it("previews with Pulumi's action, commenting the diff on the pull request", () => {
    const step = pulumiStep(job(preview.parsed, "preview"));
    assert.equal(step.with?.["command"], "preview");
    assert.equal(step.with?.["comment-on-pr"], true);
    assert.equal(step.with?.["work-dir"], ".");
    assert.match(String(step.with?.["stack-name"]), /matrix\.stack/);
    assert.equal(step.env?.["PULUMI_ACCESS_TOKEN"], "${{ secrets.PULUMI_ACCESS_TOKEN }}");
    assert.equal(step.env?.["CLOUDFLARE_API_TOKEN"], "${{ secrets.CLOUDFLARE_API_TOKEN }}");
  });

  it("skips what needs secrets or a write token on pull requests from forks", () => {
    const sameRepo = "github.event.pull_request.head.repo.full_name == github.repository";
    assert.equal(job(preview.parsed, "preview").if, sameRepo);
    const comment = job(preview.parsed, "plan").steps.find((s) =>
      s.uses?.startsWith("actions/github-script@"),
    );
    assert.equal(comment?.if, sameRepo);
  });
});

describe("pulumi-up.yml", () => {
  it("runs on pushes to main, weekly for certificate renewal, and by hand", () => {
    const push = up.parsed.on["push"] as { branches: string[] };
    assert.deepEqual(push.branches, ["main"]);
    assert.ok(Array.isArray(up.parsed.on["schedule"]));
    assert.ok("workflow_dispatch" in up.parsed.on);
  });

  it("deploys stacks that exist, prod behind the production environment", () => {
    const j = job(up.parsed, "up");
    const stacks = stacksOf(j);
    assert.ok(stacks.includes("prod"));
    for (const stack of stacks)
      assert.ok(stackFiles.includes(stack), `no stacks/Pulumi.${stack}.yaml`);
    const prod = j.strategy?.matrix.include?.find((m) => m["stack"] === "prod");
    assert.equal(prod?.["environment"], "production");
    assert.equal(j.environment, "${{ matrix.environment }}");
  });

  it("never runs two ups of a stack at once, nor cancels one", () => {
    const j = job(up.parsed, "up");
    assert.match(j.concurrency?.group ?? "", /matrix\.stack/);
    assert.equal(j.concurrency?.["cancel-in-progress"], false);
    const step = pulumiStep(j);
    assert.equal(step.with?.["command"], "up");
    assert.match(String(step.with?.["stack-name"]), /matrix\.stack/);
  });
});

describe("both workflows", () => {
  const sources = [preview.source, up.source];

  it("run Node 24 and pin every action to a major version", () => {
    for (const w of [preview.parsed, up.parsed]) {
      for (const j of Object.values(w.jobs)) {
        for (const step of j.steps.filter((s) => s.uses !== undefined)) {
          assert.match(step.uses ?? "", /^[\w.-]+\/[\w.-]+@v\d+$/);
          if (step.uses?.startsWith("actions/setup-node@")) {
            assert.equal(step.with?.["node-version"], 24);
          }
        }
      }
    }
  });

  it("call a mailstack command that exists", () => {
    assert.match(text("cli/main.ts"), /case "plan":/);
  });

  it("read only secrets that docs/deploy.md documents", () => {
    const docs = text("docs/deploy.md");
    const secrets = new Set(
      sources.flatMap((s) => [...s.matchAll(/secrets\.(\w+)/g)].map((m) => m[1])),
    );
    assert.ok(secrets.size > 0);
    for (const secret of secrets)
      assert.ok(docs.includes(`\`${secret}\``), `${secret} is not in docs/deploy.md`);
  });
});
