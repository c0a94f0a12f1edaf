/** The webmail process: HTTPS for browsers, IMAP and submission as the user's own client. */
import { runServer } from "../shared/lifecycle.ts";
import { webmailConfigSchema } from "./config.ts";
import { startWebmail } from "./server.ts";

const code = await runServer({
  name: "webmail",
  schema: webmailConfigSchema,
  start: (config, log) => startWebmail(config, { log }),
});
process.exit(code);
