/**
 * Logging with pino: one root logger per server, a child per connection (with its id).
 *
 * Protocol transcripts go to `trace`. Secrets never reach the output at any level: the redact
 * paths below censor the usual fields, and `transcriptLine` masks AUTH payloads and PASS/LOGIN
 * arguments before a protocol line is logged. Message bodies are never passed to a logger; log
 * sizes and ids instead.
 */
import { randomBytes } from "node:crypto";
import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger };

const REDACT_PATHS = [
  "password",
  "pass",
  "passwordHash",
  "bindPassword",
  "secret",
  "privateKey",
  "key",
  "token",
  "authorization",
  "*.password",
  "*.pass",
  "*.passwordHash",
  "*.bindPassword",
  "*.secret",
  "*.privateKey",
  "*.key",
  "*.token",
  "*.authorization",
];

export interface LoggerSettings {
  /** pino level; default "info", or LOG_LEVEL from the environment. */
  readonly level?: string;
  /** Where lines go; default stdout. Tests pass a stream to inspect the output. */
  readonly destination?: pino.DestinationStream;
}

export function createLogger(server: string, settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    name: server,
    level: settings.level ?? process.env.LOG_LEVEL ?? "info",
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    base: { server },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A short random id for a connection, to follow one session through the log. */
export function connectionId(): string {
  return randomBytes(6).toString("base64url");
}

export function connectionLogger(parent: Logger, remoteAddress: string | undefined): Logger {
  return parent.child({ cid: connectionId(), remote: remoteAddress });
}

/**
 * A protocol line safe to log at trace level: credentials are replaced, whatever the protocol.
 * Covers SMTP `AUTH PLAIN <b64>` and continuation lines, IMAP `a LOGIN user pass` and
 * `AUTHENTICATE`, POP3 `PASS`, and LDAP-style `password=` pairs.
 */
export function transcriptLine(line: string, options: { authContinuation?: boolean } = {}): string {
  if (options.authContinuation) return "[credentials redacted]";
  return line
    .replace(/^(\s*(?:\S+\s+)?AUTH(?:ENTICATE)?\s+\S+)\s+\S.*$/i, "$1 [redacted]")
    .replace(/^(\s*\S+\s+LOGIN\s+\S+)\s+.*$/i, "$1 [redacted]")
    .replace(/^(\s*PASS)\s+.*$/i, "$1 [redacted]")
    .replace(/(password\s*[=:]\s*)\S+/gi, "$1[redacted]");
}
