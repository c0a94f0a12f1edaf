/** The IMAP process: the store over IMAP4rev1/IMAP4rev2 for mail clients. */
import { openDirectory } from "../shared/directory/open.ts";
import { runServer } from "../shared/lifecycle.ts";
import { openMailStore } from "../store/index.ts";
import { imapConfigSchema } from "./config.ts";
import { startImap } from "./server.ts";
import { httpSpamLearner } from "./spam-learn.ts";

const code = await runServer({
  name: "imap",
  schema: imapConfigSchema,
  async start(config, log) {
    const directory = await openDirectory(config.directory, config.domains, log);
    const store = openMailStore({ dataDir: config.dataDir });
    const spam = config.spamUrl
      ? httpSpamLearner({ url: config.spamUrl, log: log.child({ part: "spam-learn" }) })
      : undefined;
    const server = await startImap(config, { directory, store, log, spam });
    return {
      endpoints: server.endpoints,
      async stop() {
        await server.stop();
        // Learning is best effort: do not hold the shutdown for a slow spam service.
        await Promise.race([
          spam?.idle(),
          new Promise((resolve) => setTimeout(resolve, 2000).unref()),
        ]);
        await store.close();
        await directory.close();
      },
    };
  },
});
process.exit(code);
