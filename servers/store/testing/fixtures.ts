/** Helpers for the store's tests: a temporary data directory and message builders. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { SqliteMailStore } from "../sqlite/sqlite-store.ts";
import type { Account } from "../types.ts";

export async function tempDataDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mailstack-store-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function tempAccount(
  t: TestContext,
  userId = "alice@example.com",
): Promise<{ store: SqliteMailStore; account: Account; dataDir: string }> {
  const dataDir = await tempDataDir(t);
  const store = new SqliteMailStore({ dataDir, pollIntervalMs: 50 });
  t.after(() => store.close());
  const account = await store.openAccount(userId);
  return { store, account, dataDir };
}

export interface MessageSpec {
  readonly from?: string;
  readonly to?: string;
  readonly subject?: string;
  readonly date?: string;
  readonly messageId?: string;
  readonly headers?: readonly string[];
  readonly body?: string;
}

/** A CRLF message with the usual headers. */
export function message(spec: MessageSpec = {}): Uint8Array {
  const lines = [
    `From: ${spec.from ?? "Bob <bob@example.org>"}`,
    `To: ${spec.to ?? "Alice <alice@example.com>"}`,
    `Subject: ${spec.subject ?? "Hello"}`,
    `Date: ${spec.date ?? "Mon, 7 Feb 2022 21:52:25 -0800"}`,
    `Message-ID: <${spec.messageId ?? `${Math.random().toString(36).slice(2)}@example.org`}>`,
    ...(spec.headers ?? []),
    "",
    spec.body ?? "Hello Alice.",
  ];
  return new Uint8Array(Buffer.from(lines.join("\r\n") + "\r\n"));
}

export function text(bytes: Uint8Array | undefined): string {
  return Buffer.from(bytes ?? new Uint8Array()).toString("latin1");
}
