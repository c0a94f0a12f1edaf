/**
 * The servers the local runner starts, in start order. Each server issue adds its entry here;
 * a server that does not exist yet is simply not listed.
 */
import type { DirectoryRuntimeConfig } from "../../servers/shared/directory/open.ts";
import type { StackConfig } from "../../stacks/schema.ts";

/** What the runner has prepared before any server starts. */
export interface RunContext {
  readonly config: StackConfig;
  readonly dataDir: string;
  readonly tls: { readonly certPath: string; readonly keyPath: string; readonly caPath: string };
  /** The directory runtime config every server passes to openDirectory. */
  readonly directory: DirectoryRuntimeConfig;
}

export interface ServerPlan {
  readonly name: string;
  /** Absolute path of the server's main.ts. */
  readonly entry: string;
  /** The JSON the server reads from MAILSTACK_CONFIG, checked by the server's own schema. */
  runtimeConfig(context: RunContext): unknown;
}

export const SERVERS: readonly ServerPlan[] = [];
