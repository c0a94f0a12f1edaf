/**
 * The embedded default: what `npm start` runs with no arguments. One demo domain on loopback,
 * two users whose passwords the runner makes on first start and prints once, the file
 * directory, and a local CA. Written in the stack config's own shape, so it is also the
 * smallest example of a stack.
 */
import { parseStackConfig } from "./load.ts";
import type { StackConfig } from "./schema.ts";

export const EMBEDDED_SOURCE = "the embedded default";

export function embeddedConfig(): StackConfig {
  return parseStackConfig(
    {
      domains: [{ name: "example.test" }],
      hostname: "mail.example.test",
      users: [
        { address: "demo@example.test", name: "Demo User", quota: "1GiB" },
        // A second user, so that a first run can send mail from one user to another.
        { address: "friend@example.test", name: "Friend User", quota: "1GiB" },
      ],
      aliases: [{ address: "postmaster@example.test", to: "demo@example.test" }],
      local: { listen: "127.0.0.1", dataDir: ".data/default" },
    },
    EMBEDDED_SOURCE,
  );
}
