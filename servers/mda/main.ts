/** The MDA process: LMTP delivery into the store. */
import { openDirectory } from "../shared/directory/open.ts";
import { runServer } from "../shared/lifecycle.ts";
import { openMailStore } from "../store/index.ts";
import { mdaConfigSchema } from "./config.ts";
import { startMda } from "./server.ts";

const code = await runServer({
  name: "mda",
  schema: mdaConfigSchema,
  async start(config, log) {
    const directory = await openDirectory(config.directory, config.domains, log);
    const store = openMailStore({ dataDir: config.dataDir });
    const server = await startMda(config, { directory, store, log });
    return {
      endpoints: server.endpoints,
      async stop() {
        await server.stop();
        await store.close();
        await directory.close();
      },
    };
  },
});
process.exit(code);
