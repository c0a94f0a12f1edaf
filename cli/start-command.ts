/** `mailstack start`: run the runner in the foreground until Ctrl-C or SIGTERM. */
import { once } from "node:events";
import { banner } from "./banner.ts";
import { resolveConfig } from "./config-source.ts";
import { startRunner } from "./runner/start.ts";

export async function startCommand(options: { configPath: string | undefined }): Promise<number> {
  const source = await resolveConfig(options.configPath);
  const runner = await startRunner({
    ...source,
    onOutput: (server, line) => process.stdout.write(`[${server}] ${line}\n`),
    onCrash: (server, detail) => process.stderr.write(`[runner] ${server} ${detail}\n`),
  });
  process.stdout.write(`${banner(runner, source.config, source.source)}\n`);

  // Signal listeners do not keep Node running; with no server processes nothing else would.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  const signal = await Promise.race([
    once(process, "SIGINT").then(() => "SIGINT"),
    once(process, "SIGTERM").then(() => "SIGTERM"),
  ]);
  clearInterval(keepAlive);
  process.stdout.write(`\n[runner] ${signal}: stopping every server\n`);
  await runner.stop();
  process.stdout.write("[runner] stopped\n");
  return 0;
}
