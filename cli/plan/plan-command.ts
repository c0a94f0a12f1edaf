/**
 * `mailstack plan --stack <env> | --config FILE [--json] [--zone-dir DIR]`: the offline plan of a
 * stack file. With `--stack`, DKIM keys are placeholders (`pulumi up` makes them); with
 * `--config`, the file is a local run's, and the zones carry the real keys of its data directory
 * (made now if missing, as `mailstack start` would), so they can be served as they are.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { loadStackFile } from "../../stacks/load.ts";
import { ensureDkimKeys, withLocalSelectors } from "../runner/dkim-keys.ts";
import { buildPlan, renderPlan } from "./plan.ts";

/** The project root: stack files are `stacks/Pulumi.<env>.yaml` below it. */
const ROOT = resolve(import.meta.dirname, "../..");

export function stackFilePath(stack: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(stack)) throw new RangeError(`not a stack name: ${stack}`);
  return join(ROOT, "stacks", `Pulumi.${stack}.yaml`);
}

/** Where the command writes; tests pass their own. */
export interface PlanIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

export async function planCommand(
  options: {
    stack: string | undefined;
    config?: string | undefined;
    json: boolean;
    zoneDir: string | undefined;
  },
  io: PlanIo = process,
): Promise<number> {
  if (options.stack === undefined && options.config === undefined) {
    io.stderr.write(
      "mailstack plan: --stack <env> is required (stacks/Pulumi.<env>.yaml), or --config FILE for a local run's stack file\n",
    );
    return 64;
  }
  if (options.stack !== undefined && options.config !== undefined) {
    io.stderr.write("mailstack plan: give --stack <env> or --config FILE, not both\n");
    return 64;
  }
  let plan;
  let config;
  let localKeysDir: string | undefined;
  if (options.config !== undefined) {
    const path = resolve(options.config);
    config = withLocalSelectors(await loadStackFile(path, "placeholder"));
    const dataDir = resolve(dirname(path), config.local.dataDir);
    const keys = await ensureDkimKeys(config, dataDir);
    localKeysDir = join(dataDir, "dkim");
    plan = buildPlan(options.config, config, keys);
  } else {
    config = await loadStackFile(stackFilePath(options.stack ?? ""), "placeholder");
    plan = buildPlan(options.stack ?? "", config);
  }
  if (options.zoneDir !== undefined) {
    await mkdir(options.zoneDir, { recursive: true });
    for (const zone of plan.zones) {
      await writeFile(join(options.zoneDir, `${zone.zone}.zone`), zone.zoneFile);
    }
  }
  io.stdout.write(
    options.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan, config, localKeysDir),
  );
  return 0;
}
