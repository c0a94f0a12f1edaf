/**
 * The durable spool on disk. Per queue id:
 *
 *   messages/<id>.msg   the envelope as one JSON line, then the message bytes; written once,
 *                       atomically (temp file, fsync, rename, fsync of the folder). Its presence
 *                       is what makes a message exist: enqueue resolves after it is durable.
 *   state/<id>.json     per-recipient delivery state, replaced atomically after each attempt;
 *                       absent means "nothing tried yet".
 *
 * Crash safety, whatever moment a kill -9 hits:
 *   - before the .msg rename: only a dot-prefixed temp file exists, cleaned at recovery; the
 *     message was never acknowledged;
 *   - a state write: the old or the new state is seen, never a mix (rename is atomic);
 *   - removal deletes the .msg first, then the state: a state file without its .msg is an
 *     interrupted removal and is deleted at recovery.
 * Unreadable files are moved to corrupt/ for an operator, never deleted.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../shared/fs/atomic-write.ts";
import { InvalidQueueIdError, MessageNotFoundError, SpoolCorruptError } from "./errors.ts";
import {
  messageStateSchema,
  storedEnvelopeSchema,
  type MessageState,
  type StoredEnvelope,
} from "./records.ts";
import { ENVELOPE_READ_BYTES as HEAD_CHUNK } from "./limits.ts";
import { initialState } from "./recipient-state.ts";

const MESSAGE_SUFFIX = ".msg";
const STATE_SUFFIX = ".json";
/** Queue ids: base36 time, random hex, and `.n<seq>` for DSNs generated from a message. */
const QUEUE_ID = /^[0-9a-z]{8,12}[0-9a-f]{10}(?:\.n\d{1,6})?$/;

/** A new queue id: sorts by arrival time (base36 ms), unique by 40 random bits. */
export function newQueueId(now = Date.now()): string {
  return now.toString(36).padStart(9, "0") + randomBytes(5).toString("hex");
}

/** The id of the n-th DSN generated for a message: the same every time (idempotent enqueue). */
export function noticeQueueId(id: string, seq: number): string {
  return `${id.replace(/\.n\d+$/, "")}.n${seq}`;
}

export function isQueueId(id: string): boolean {
  return QUEUE_ID.test(id);
}

export function assertQueueId(id: string): void {
  if (!isQueueId(id)) throw new InvalidQueueIdError(id);
}

export interface SpooledMessage {
  readonly envelope: StoredEnvelope;
  readonly state: MessageState;
}

export class Spool {
  readonly messagesDir: string;
  readonly stateDir: string;
  readonly corruptDir: string;

  constructor(readonly root: string) {
    this.messagesDir = join(root, "messages");
    this.stateDir = join(root, "state");
    this.corruptDir = join(root, "corrupt");
  }

  async init(): Promise<void> {
    for (const dir of [this.messagesDir, this.stateDir, this.corruptDir]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
  }

  messagePath(id: string): string {
    assertQueueId(id);
    return join(this.messagesDir, id + MESSAGE_SUFFIX);
  }

  statePath(id: string): string {
    assertQueueId(id);
    return join(this.stateDir, id + STATE_SUFFIX);
  }

  /**
   * Writes envelope and message in one atomic, fsynced file. With `exclusive`, an existing
   * message of that id is left alone and the call rejects with EEXIST.
   */
  async writeMessage(
    envelope: StoredEnvelope,
    raw: Uint8Array,
    options: { exclusive?: boolean } = {},
  ): Promise<void> {
    const head = Buffer.from(`${JSON.stringify(envelope)}\n`, "utf8");
    await writeFileAtomic(this.messagePath(envelope.id), Buffer.concat([head, raw]), {
      mode: 0o600,
      exclusive: options.exclusive ?? false,
    });
  }

  /** The envelope alone, reading only the first line of the file. */
  async readEnvelope(id: string): Promise<StoredEnvelope> {
    const path = this.messagePath(id);
    const handle = await open(path, "r").catch((error: unknown) => {
      throw isNotFound(error) ? new MessageNotFoundError(id) : error;
    });
    try {
      const chunks: Buffer[] = [];
      let position = 0;
      for (;;) {
        const buffer = Buffer.alloc(HEAD_CHUNK);
        const { bytesRead } = await handle.read(buffer, 0, HEAD_CHUNK, position);
        if (bytesRead === 0) throw new SpoolCorruptError(path, "no envelope line");
        const chunk = buffer.subarray(0, bytesRead);
        const newline = chunk.indexOf(0x0a);
        chunks.push(newline === -1 ? chunk : chunk.subarray(0, newline));
        if (newline !== -1) return parseEnvelope(path, id, Buffer.concat(chunks));
        position += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }

  /** Envelope and message bytes. */
  async readMessage(id: string): Promise<{ envelope: StoredEnvelope; raw: Buffer }> {
    const path = this.messagePath(id);
    const data = await readFile(path).catch((error: unknown) => {
      throw isNotFound(error) ? new MessageNotFoundError(id) : error;
    });
    const newline = data.indexOf(0x0a);
    if (newline === -1) throw new SpoolCorruptError(path, "no envelope line");
    return {
      envelope: parseEnvelope(path, id, data.subarray(0, newline)),
      raw: data.subarray(newline + 1),
    };
  }

  /** The saved state, or the initial one when nothing was saved yet. */
  async readState(envelope: StoredEnvelope): Promise<MessageState> {
    const path = this.statePath(envelope.id);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if (isNotFound(error)) return initialState(envelope);
      throw error;
    }
    const parsed = messageStateSchema.safeParse(safeJson(text));
    if (!parsed.success || parsed.data.recipients.length !== envelope.recipients.length) {
      throw new SpoolCorruptError(path, "state does not match its envelope");
    }
    return parsed.data;
  }

  async writeState(id: string, state: MessageState): Promise<void> {
    await writeFileAtomic(this.statePath(id), JSON.stringify(state), { mode: 0o600 });
  }

  /** Removes a message: the .msg first (its absence is what counts), then its state. */
  async remove(id: string): Promise<void> {
    await unlinkIfPresent(this.messagePath(id));
    await unlinkIfPresent(this.statePath(id));
    await syncDir(this.messagesDir);
  }

  /** Moves a file aside to corrupt/ (kept for an operator). */
  async quarantine(path: string): Promise<void> {
    const name = path.slice(path.lastIndexOf("/") + 1);
    await rename(path, join(this.corruptDir, `${name}.${Date.now()}`)).catch(() => undefined);
  }

  /** Ids of the messages on disk, in arrival order. */
  async ids(): Promise<string[]> {
    const names = await readdir(this.messagesDir);
    return names
      .filter((n) => n.endsWith(MESSAGE_SUFFIX) && !n.startsWith("."))
      .map((n) => n.slice(0, -MESSAGE_SUFFIX.length))
      .filter(isQueueId)
      .sort();
  }

  /**
   * Recovery after a start or a crash: removes temp files left by interrupted writes and state
   * files whose message is gone, quarantines what cannot be read, and returns every message.
   * Only the spool's lock holder may call it (another writer's temp files would be in flight).
   */
  async recover(onCorrupt: (error: SpoolCorruptError) => void): Promise<SpooledMessage[]> {
    for (const dir of [this.messagesDir, this.stateDir]) {
      for (const name of await readdir(dir)) {
        if (name.startsWith(".") && name.endsWith(".tmp")) await unlinkIfPresent(join(dir, name));
      }
    }
    const ids = await this.ids();
    const present = new Set(ids);
    for (const name of await readdir(this.stateDir)) {
      const id = name.slice(0, -STATE_SUFFIX.length);
      if (name.endsWith(STATE_SUFFIX) && !present.has(id)) {
        await unlinkIfPresent(join(this.stateDir, name));
      }
    }
    const messages: SpooledMessage[] = [];
    for (const id of ids) {
      try {
        const envelope = await this.readEnvelope(id);
        messages.push({ envelope, state: await this.readState(envelope) });
      } catch (error) {
        if (!(error instanceof SpoolCorruptError)) throw error;
        onCorrupt(error);
        await this.quarantine(error.file);
        if (error.file.endsWith(MESSAGE_SUFFIX)) await unlinkIfPresent(this.statePath(id));
        else {
          // A bad state file: deliver again from the start rather than lose the message.
          const envelope = await this.readEnvelope(id);
          messages.push({ envelope, state: initialState(envelope) });
        }
      }
    }
    return messages;
  }
}

function parseEnvelope(path: string, id: string, line: Buffer): StoredEnvelope {
  const parsed = storedEnvelopeSchema.safeParse(safeJson(line.toString("utf8")));
  if (!parsed.success) throw new SpoolCorruptError(path, "unreadable envelope");
  if (parsed.data.id !== id) throw new SpoolCorruptError(path, "envelope of another id");
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "ENOENT";
}

async function unlinkIfPresent(path: string): Promise<void> {
  await unlink(path).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
