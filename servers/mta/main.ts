/** The MTA process: MX on port 25, submission on 587 and 465, the durable queue and its delivery. */
import { openDirectory } from "../shared/directory/open.ts";
import { runServer } from "../shared/lifecycle.ts";
import { loadTlsMaterial } from "../shared/tls/tls-material.ts";
import { mtaConfigSchema } from "./config.ts";
import { DkimKeyring } from "./dkim/keys.ts";
import { openQueue } from "./queue/index.ts";
import { startMta } from "./server.ts";
import { readSrsKeys, returnPath } from "./srs.ts";

const code = await runServer({
  name: "mta",
  schema: mtaConfigSchema,
  async start(config, log) {
    const tls = loadTlsMaterial({
      ...config.tls,
      onError: (error) =>
        log.error({ err: error.message }, "TLS reload failed; keeping the old certificate"),
      onWarning: (warning) => log.warn({ warning: warning.message }, "TLS certificate"),
    });
    const keyring = new DkimKeyring({
      keys: config.dkim,
      onReload: (keys) =>
        log.info(
          { selectors: keys.map((k) => `${k.selector}._domainkey.${k.domain}`) },
          "DKIM keys reloaded",
        ),
      onError: (error) =>
        log.error({ err: error.message }, "DKIM key reload failed; keeping the old key"),
    });
    const srs = config.srs
      ? readSrsKeys(config.srs.secretPath, config.srs.domain ?? config.domains[0]!)
      : undefined;
    const directory = await openDirectory(config.directory, config.domains, log);
    const queue = await openQueue(config.queue, {
      log,
      returnPath: (from) => returnPath(from, srs),
    });
    let server;
    try {
      queue.start();
      server = await startMta(config, {
        directory,
        queue: queue.queue,
        keyring,
        tls,
        log,
        ...(srs ? { srs } : {}),
      });
    } catch (error) {
      await queue.stop();
      await directory.close();
      keyring.close();
      tls.close();
      throw error;
    }
    return {
      endpoints: server.endpoints,
      async stop() {
        // Sessions first (none can enqueue afterwards), then the queue records its state.
        await server.stop();
        await queue.stop();
        await directory.close();
        keyring.close();
        tls.close();
      },
    };
  },
});
process.exit(code);
