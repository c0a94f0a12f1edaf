/** `mailstack plan --stack <env> [--json] [--zone-dir DIR]`: the offline plan of a stack file. */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { loadStackFile } from "../../stacks/load.ts";
import { buildPlan, renderPlan } from "./plan.ts";

/** The project root: stack files are `stacks/Pulumi.<env>.yaml` below it. */
const ROOT = resolve(import.meta.dirname, "../..");

export function stackFilePath(stack: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(stack)) throw new RangeError(`not a stack name: ${stack}`);
  return join(ROOT, "stacks", `Pulumi.${stack}.yaml`);
}

export async function planCommand(options: {
  stack: string | undefined;
  json: boolean;
  zoneDir: string | undefined;
}): Promise<number> {
  if (options.stack === undefined) {
    process.stderr.write("mailstack plan: --stack <env> is required (stacks/Pulumi.<env>.yaml)\n");
    return 64;
  }
  const config = await loadStackFile(stackFilePath(options.stack), "placeholder");
  const plan = buildPlan(options.stack, config);
  if (options.zoneDir !== undefined) {
    await mkdir(options.zoneDir, { recursive: true });
    for (const zone of plan.zones) {
      await writeFile(join(options.zoneDir, `${zone.zone}.zone`), zone.zoneFile);
    }
  }
  process.stdout.write(
    options.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan, config),
  );
  return 0;
}
