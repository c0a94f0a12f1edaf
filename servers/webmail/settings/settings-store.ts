/**
 * Each user's webmail settings, one small JSON file per user under the state directory
 * (`<stateDir>/users/<sha256 of the address>.json`, 0600, replaced atomically): the display name
 * sent as the From name, the signature, and the addresses the user wrote to (for autocompletion).
 * The file name is a hash so an address never becomes a path. A missing or unreadable file is
 * the defaults: settings are a convenience, never a reason to refuse a login.
 *
 * Writes for one user go one after another in this process (read, change, replace), so two tabs
 * saving at once lose nothing. One webmail process owns a state directory. Without one (a config
 * that gives no `stateDir`), settings live in memory and are lost when the webmail restarts.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../shared/fs/atomic-write.ts";

/** A From name as long as a mailbox's display name may usefully be. */
export const MAX_DISPLAY_NAME_LENGTH = 256;
/** A signature is a few lines, not a letter. */
export const MAX_SIGNATURE_LENGTH = 4000;
/** Addresses remembered per user for autocompletion; the least recently used go first. */
export const MAX_CORRESPONDENTS = 500;

const correspondentSchema = z.strictObject({
  address: z.string().min(3).max(320),
  name: z.string().max(MAX_DISPLAY_NAME_LENGTH).default(""),
  /** Milliseconds since the epoch of the last message to this address. */
  lastUsed: z.number().int().nonnegative(),
  count: z.number().int().positive(),
});
export type Correspondent = z.output<typeof correspondentSchema>;

const settingsSchema = z.strictObject({
  displayName: z.string().max(MAX_DISPLAY_NAME_LENGTH).default(""),
  signature: z.string().max(MAX_SIGNATURE_LENGTH).default(""),
  correspondents: z.array(correspondentSchema).default([]),
});
export type UserSettings = z.output<typeof settingsSchema>;

/** What the user edits on the settings page. */
export interface EditableSettings {
  readonly displayName: string;
  readonly signature: string;
}

export class SettingsStore {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly memory = new Map<string, string>();

  constructor(private readonly stateDir: string | undefined) {}

  private fileName(address: string): string {
    return `${createHash("sha256").update(address.toLowerCase()).digest("hex")}.json`;
  }

  private async read(address: string): Promise<string> {
    if (this.stateDir === undefined) return this.memory.get(this.fileName(address)) ?? "{}";
    return readFile(join(this.stateDir, "users", this.fileName(address)), "utf8");
  }

  private async write(address: string, text: string): Promise<void> {
    if (this.stateDir === undefined) {
      this.memory.set(this.fileName(address), text);
      return;
    }
    await mkdir(join(this.stateDir, "users"), { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.stateDir, "users", this.fileName(address)), text, {
      mode: 0o600,
    });
  }

  async get(address: string): Promise<UserSettings> {
    let raw: unknown;
    try {
      raw = JSON.parse(await this.read(address));
    } catch {
      raw = {};
    }
    const parsed = settingsSchema.safeParse(raw);
    return parsed.success ? parsed.data : settingsSchema.parse({});
  }

  /** Changes one user's settings, after any change of theirs still being written. */
  update(address: string, change: (current: UserSettings) => UserSettings): Promise<UserSettings> {
    const key = address.toLowerCase();
    const run = async () => {
      const next = settingsSchema.parse(change(await this.get(address)));
      await this.write(address, `${JSON.stringify(next)}\n`);
      return next;
    };
    const previous = this.queues.get(key) ?? Promise.resolve();
    const result = previous.then(run, run);
    const settled = result.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return result;
  }

  setEditable(address: string, edit: EditableSettings): Promise<UserSettings> {
    return this.update(address, (s) => ({ ...s, ...edit }));
  }

  /** Remembers the recipients of a message sent now; the least recently used are forgotten. */
  recordCorrespondents(
    address: string,
    recipients: readonly { readonly address: string; readonly name: string }[],
    now = Date.now(),
  ): Promise<UserSettings> {
    return this.update(address, (s) => {
      const byAddress = new Map(s.correspondents.map((c) => [c.address, c]));
      for (const r of recipients) {
        const key = r.address.toLowerCase();
        const known = byAddress.get(key);
        byAddress.set(key, {
          address: key,
          name: r.name || known?.name || "",
          lastUsed: now,
          count: (known?.count ?? 0) + 1,
        });
      }
      const correspondents = [...byAddress.values()]
        .sort((a, b) => b.lastUsed - a.lastUsed)
        .slice(0, MAX_CORRESPONDENTS);
      return { ...s, correspondents };
    });
  }
}
