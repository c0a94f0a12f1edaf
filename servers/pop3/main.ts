/** The POP3 process: RFC 1939 with CAPA, STLS, UIDL, TOP and SASL PLAIN on the shared store. */
import { openDirectory } from "../shared/directory/open.ts";
import { runServer } from "../shared/lifecycle.ts";
import { openMailStore } from "../store/index.ts";
import { pop3ConfigSchema } from "./config.ts";
import { startPop3 } from "./server.ts";

const code = await runServer({
  name: "pop3",
  schema: pop3ConfigSchema,
  async start(config, log) {
    const directory = await openDirectory(config.directory, config.domains, log);
    const store = openMailStore({ dataDir: config.dataDir });
    try {
      const server = await startPop3(config, { directory, store, log });
      return {
        endpoints: server.endpoints,
        async stop() {
          await server.stop();
          await store.close();
          await directory.close();
        },
      };
    } catch (error) {
      await store.close();
      await directory.close();
      throw error;
    }
  },
});
process.exit(code);
