/** Where clients reach the stack: the published ports under the mail host's name. */
import type { StackConfig } from "../../stacks/schema.ts";

export interface Endpoints {
  readonly smtp: string;
  readonly submission: string;
  readonly submissions: string;
  readonly imaps: string;
  /** Absent when the stack does not offer POP3. */
  readonly pop3s?: string;
  readonly webmail: string;
}

export function endpoints(config: StackConfig): Endpoints {
  const { hostname } = config;
  const { ports } = config.docker;
  const at = (port: number) => `${hostname}:${port}`;
  return {
    smtp: at(ports.smtp),
    submission: at(ports.submission),
    submissions: at(ports.submissions),
    imaps: at(ports.imaps),
    ...(config.services.pop3 ? { pop3s: at(ports.pop3s) } : {}),
    webmail: `https://${hostname}${ports.https === 443 ? "" : `:${ports.https}`}/`,
  };
}
